"""Presentation: the Chinese vocabulary, sentences, report and figures (numbers in, words out)."""
