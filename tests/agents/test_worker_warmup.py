"""A qcluster worker warms up (agents and LLM client loaded) when it spawns, not in its first task."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_spawned_worker_loads_the_agents_and_the_llm_client():
    code = (
        "import sys, django; django.setup();"
        "from django_q.signals import post_spawn;"
        "before = 'agents.runtime.llm.openai_provider' in sys.modules or 'agents.specialists.growth' in sys.modules;"
        "post_spawn.send(sender='django_q', proc_name='worker-1');"
        "print(before, 'agents.runtime.llm.openai_provider' in sys.modules, 'agents.specialists.growth' in sys.modules)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "ATLAS_LLM_PROVIDER": "openai",
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"], out.stderr
