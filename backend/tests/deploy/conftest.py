"""Checks of deploy/ (the image, compose, Kubernetes) without Docker or a cluster: each tool
they use (hadolint, check-jsonschema, kubernetes-validate) carries its binary or schemas, so
these run offline."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
BIN = Path(sys.executable).parent


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / name), *args], capture_output=True, text=True, timeout=120, check=False
    )
