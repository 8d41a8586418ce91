"""The wording the word-sense check (``tutor/offtopic.py``) reads besides the tables: how a question asks for the
maths, for advice or a decision, for a text to be composed; how a turn points back at the conversation, tells
the learner's own story or leaves the subject. Regexes only, so each is tested on its own."""

from __future__ import annotations

import re

from mathtutor.tutor.understand_cues import AGAIN, ELLIPSIS, OTHER, UNLIKE

#: Words that make a resource request's subject mathematical even when it names no concept of the topic graph.
MATHS_WORDS = re.compile(
    r"\b(math|maths|mathematics|mathematical|calculus|algebra|statistics|statistical|stats|probability|probabilistic"
    r"|geometry|trigonometry|theorems?|proofs?|formulas?|derivations?|analysis|optimi[sz]ation|numerical)\b",
    re.IGNORECASE,
)
#: Maths named in words no other domain uses ("statistics" and "probability" are also everyday words).
OUTRIGHT_MATHS = re.compile(r"\b(math|maths|mathematics|mathematical|calculus|linear algebra)\b", re.IGNORECASE)
#: Asking for the maths itself, in the learner's setting: "what is this called in maths?", 数学上怎么描述, 用矩阵怎么算,
#: "I want to understand the maths", 该按什么顺序学. In dev (2026-12-03) no trap asks this way; the scope model still
#: refuses one that it leans to call not ours (``offtopic_model_lean``).
ASKS_FOR_MATHS = re.compile(
    r"数学(上|里|中)|在数学|背后的数学|数学原理|数学(上)?(叫|怎么|该怎么)"
    r"|用(矩阵|向量|概率|微积分|线性代数|统计|导数|积分)(来)?(怎么|该怎么|算|表示|描述)|按什么顺序学"
    r"|\bmaths? behind\b|\bmathematically\b|\bin maths? terms\b|\bthe maths (of|here|works?)\b"
    r"|\b(understand|learn) (properly|the maths)\b|\bwhy (minimi[sz]e|square)\b"
    r"|\bis there a (name|theorem|formula) for\b|\bwhat(\'s| is) (this|that|it) called in maths?\b"
    r"|\bwhat (kind of |sort of |branch of )?maths? (is|are) (that|this|it|behind|involved)\b",
    re.IGNORECASE,
)
#: Asking for a decision or tips ("which one would you pick?", 报哪所大学比较稳): with another domain's cue word the
#: question is that domain's even when it names a maths word or points back at the maths just explained.
ADVICE = re.compile(
    r"\bwhich (one )?(would|should) (you|i) (pick|choose|take|buy|go (for|with))\b|\bshould i (pick|choose|buy|take"
    r"|go with|get|apply)\b|\b(any )?tips (for|on)\b|\bwhat would you (do|recommend|pick|choose)\b"
    r"|\bhow (should|do) i decide\b|\bwould you (book|buy|hire|risk|take|get) (it|one|them)\b|\bor risk it\b"
    r"|\bthe better (buy|choice|option|pick|deal)\b"
    r"|报哪|选哪|买哪|哪个更划算|哪个比较稳|怎么选|有什么建议|给点建议|求建议|推荐几(只|个|支|款)|帮我(选|挑)",
    re.IGNORECASE,
)
#: Asking, in Chinese, whether to do something (要不要报班, 值不值得, 哪个划算): a decision, not a word problem. In dev
#: (2026-12-03) 15 questions ask so, all of them traps; the mission question ("要不要先补线代？") is judged before.
DECIDES_ZH = re.compile(r"要不要|该不该|值不值得|值得(吗|不)|划算|有没有必要")
#: Branches of maths no other domain names: a question naming one is about the maths (线性代数, "linear algebra").
#: "Calculus" alone is also the dentist's word; as something to learn ("a calculus refresher", "brush up on my
#: calculus") or qualified, it is the maths.
CLEAR_BRANCH = re.compile(
    r"线性代数|線性代數|线代|高等代数|微积分|微積分|概率论|概率論|機率論|数学分析"
    r"|\blinear algebra\b|\bprobability theory\b|\b(multivariable |multivariate |vector |matrix )calculus\b"
    r"|\bcalculus (refresher|course|class|lectures?|videos?|textbook|book|tutorials?|episodes?|series|playlist)\b"
    r"|\b(learn|learning|study|studying|relearn|relearning|review|brush up on|refresh) (my |some |basic )?calculus\b",
    re.IGNORECASE,
)
_CHANCE_WORDS = re.compile(r"\b(probabilit(y|ies)|chances?|odds|likelihood)\b|概率|几率|可能性", re.IGNORECASE)
_MEANING = re.compile(
    r"\bwhat does .{0,60}\bmean\b|\bmean(s)? as a probability\b|\binterpret|\bactually mean\b"
    r"|是什么意思|什么意思|怎么理解|从概率的角度|代表什么|意味着什么",
    re.IGNORECASE,
)


def is_probability_meaning(text: str) -> bool:
    """What a probability means ("what does a 70% chance of rain mean?", 降水概率70%是什么意思): the maths of
    chance, whatever domain the number comes from."""
    return bool(_CHANCE_WORDS.search(text)) and bool(_MEANING.search(text))


#: The learner telling of their own life ("my son", "my landlord", 我邻居): an "it" or "that" after it is about that
#: story ("my flatmate never does the dishes, how do I bring it up?"), not about the maths just explained.
OWN_STORY = re.compile(
    r"\bmy (?!(answer|question|homework|assignment|notes?|course|class|exams?|textbook|book|model|code|data|dataset"
    r"|network|loss|matri(x|ces)|vectors?|functions?|proof|solution|working|result|teacher|professor|lecturer)\b)"
    r"[a-z]+|我(家|儿子|女儿|老婆|老公|妈|爸|男朋友|女朋友|同事|室友|邻居|房东|老板|孩子)",
    re.IGNORECASE,
)
#: "speaking of which": a pointer back, or the bridge to another subject when another domain's cue word follows
#: (说到这个 is a change of subject already: ``TOPIC_CHANGE`` has 说到).
SPEAKING_OF_IT = re.compile(r"\bspeaking of (which|that|this|it)\b|说起这个", re.IGNORECASE)
#: A casual opener ("话说", by the way; not 话说回来, "that said"): often the start of another subject, often a filler
#: before a maths question ("话说我女儿班主任说成绩是正态的…"), so not a change of subject, but a turn that opens with
#: it is not bound to the conversation either.
CASUAL_OPENER = re.compile(r"话说(?!回来)")
#: Coming back to the maths after a story of one's own: "..., ha. but seriously, what if I crank it way up?"
BACK_TO_TOPIC = re.compile(
    r"\bbut seriously\b|\bback to (the|my) (question|topic|maths|math)\b|言归正传|说回正题|回到正题|说正经的",
    re.IGNORECASE,
)
#: Asking the tutor to compose a text that is not maths: a poem, a toast, an email, a cover letter, 七言绝句, 贺词.
COMPOSE = re.compile(
    r"\b(write|compose|draft)( me| us)? (a|an|my|the|some)( \w+){0,3}? (poems?|haikus?|limericks?|songs?|lyrics|toasts?"
    r"|speech|eulogy|cover letter|letter|e-?mails?|essay|story|tweets?|captions?|bio|vows|card message)\b"
    r"|(帮我|给我|替我|帮忙)写|写(一)?(首|封|篇|段|份)(?!.{0,12}(证明|推导|代码|程序|公式))",
    re.IGNORECASE,
)
#: What a composing request may ask for and still be maths: "write me a proof", 帮我写一段推导.
MATHS_ARTEFACT = re.compile(
    r"\b(proofs?|derivations?|code|python|functions?|equations?)\b|证明|推导|代码|程序|公式|解题", re.IGNORECASE
)
#: Asks how to learn with a resource the question names: its difficulty, what it assumes, what comes before it, how
#: long it takes ("Is 18.065 too hard for me?", "what should I brush up on before starting it?", 18.065难不难).
LEARNS_WITH = re.compile(
    r"\b(hard|harder|difficult|tough|too advanced|prerequisites?|prereqs?|background|assumes?|ready for|beginners?"
    r"|self[- ]study|how long|hours? (a|per) week|which (one )?first|brush up|before (i |we )?(start|starting|take"
    r"|taking|read|reading|begin|beginning|tackl\w*|div\w* into|open\w*))\b"
    r"|\b(newbies?|novices?|first stop|starting point|(good|right) (place|way) to (start|begin)"
    r"|(something|anything) before)\b"
    r"|难不难|难吗|太难|难度|(要|需要)(什么|哪些)基础|基础要求|先补|先学|前提|门槛|适合(我|新手|初学|零基础|自学|入门)"
    r"|够不够|看得懂|看懂|(学|看|刷|上)(完|下来).{0,6}(多久|多长时间)|每周.{0,4}小时|先(看|刷|学)哪|哪个先|自学"
    r"|(开始|看|学|上|读)[^，。？！；,.?!;\s]{0,8}(之前|以前)|开始前",
    re.IGNORECASE,
)
#: Follow-ups that only make sense as a turn of the conversation: "and for X?", "anything less dry?", 换个别的,
#: 能再讲慢一点吗.
BOUND_TO_CONVERSATION = re.compile("|".join(f"(?:{rx.pattern})" for rx in (ELLIPSIS, UNLIKE, OTHER, AGAIN)), re.I)
#: A format word that points at the material just cited ("the little songs at the start of his videos", "he sounds
#: so calm in the videos", "printing that chapter"): it tells which material the turn is about, it asks for none.
POINTS_AT_MATERIAL = re.compile(
    r"\b(his|her|their|those|these|the|that|this|its)\s+(\w+\s+){0,2}?"
    r"(videos?|lectures?|books?|textbooks?|chapters?|courses?|channel|series|playlist|animations?)\b"
    r"|(他|她|这个|那个|这些|那些|这套|那套|这本|那本)的?(视频|课程?|书|频道|动画)",
    re.IGNORECASE,
)


#: Asking which material or topic to take up next ("what should I take after it?", 下一门上什么): with a finished
#: resource of ours named, the path goes on from it.
TAKES_NEXT = re.compile(
    r"\bwhat (should|do|can|would) (i|we) (take|learn|study|read|watch|try|pick) (after|next)\b"
    r"|\bwhich (course|book|class|one|series|lectures?) (next|after|should i)\b|\bnext (course|book|class)\b"
    r"|下一门|下一本|下一步|学什么|看什么|上什么|读什么",
    re.IGNORECASE,
)
