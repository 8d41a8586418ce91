"""The tutor: understand a question, decide its scope, plan a study path, compose a cited answer.

Modules, in the order a question flows through them: understand -> (retrieval) -> scope -> plan ->
compose (with passages) -> generate (with prompts); facade holds the :class:`Tutor` that runs them.
"""

from mathtutor.tutor.facade import Tutor
from mathtutor.tutor.understand import QuestionError
from mathtutor.types import Answer, Citation, StudyStep

__all__ = ["Answer", "Citation", "QuestionError", "StudyStep", "Tutor"]
