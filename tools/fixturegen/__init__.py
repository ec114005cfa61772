"""Synthetic multi-mic conversation generator for TalkBalance fixtures (see tools/make-session)."""
