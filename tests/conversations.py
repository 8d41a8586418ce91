"""Conversations the scope and facade tests continue: one maths turn, written by us."""

#: "What is a gradient?" and an answer citing MML: the maths conversation a follow-up continues or drifts from.
MATHS_TURN = [
    {"role": "user", "content": "What is a gradient?"},
    {
        "role": "assistant",
        "content": "The gradient collects the partial derivatives and points uphill [1].\n\n"
        "**Sources**\n[1] Mathematics for Machine Learning <https://mml-book.github.io/>",
    },
]
