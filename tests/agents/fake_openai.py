"""The fake OpenAI-compatible server lives in bench/ (the benchmark runs it too); tests import it from here."""

from bench.fake_openai import Call, FakeOpenAI, Reply, example_for

__all__ = ["Call", "FakeOpenAI", "Reply", "example_for"]
