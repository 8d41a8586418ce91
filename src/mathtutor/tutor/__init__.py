"""The tutor: understand a question, decide its scope, plan a study path, compose a cited answer."""

from mathtutor.tutor.core import Answer, Citation, QuestionError, StudyStep, Tutor

__all__ = ["Answer", "Citation", "QuestionError", "StudyStep", "Tutor"]
