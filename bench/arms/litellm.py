"""Arm F: the LiteLLM proxy from PyPI, in its own virtualenv, pointed at the same mock."""
import os
import subprocess
import sys
from pathlib import Path

from ..servers import GATEWAY_CPU, Server, StartError, free_port

VENV = Path(__file__).resolve().parent.parent / ".litellm-venv"
MASTER_KEY = "sk-bench-master"
MODEL = "gpt-5-4"


def ensure_installed(log_dir: Path, timeout: float = 420) -> Path:
    """Install litellm[proxy] once; later runs reuse the venv. Raises StartError when it fails."""
    exe = VENV / "bin" / "litellm"
    if exe.exists():
        return exe
    with open(log_dir / "litellm-install.log", "wb") as log:
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, stdout=log, stderr=log, timeout=120)
            subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "litellm[proxy]"], check=True,
                           stdout=log, stderr=log, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            raise StartError(f"pip install 'litellm[proxy]' failed ({exc}); see {log.name}") from None
    if not exe.exists():
        raise StartError("litellm installed but its CLI is missing")
    return exe


def version() -> str | None:
    try:
        out = subprocess.run([str(VENV / "bin" / "pip"), "show", "litellm"], capture_output=True, text=True,
                             timeout=60).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    return next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Version:")), None)


def start_litellm(mock_url: str, log_dir: Path) -> Server:
    exe = ensure_installed(log_dir)
    config = log_dir / "litellm-config.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        "      model: openai/gpt-5.4\n"
        f"      api_base: {mock_url}/v1\n"
        "      api_key: mock-key\n"
        "litellm_settings:\n"
        "  drop_params: true\n"
        "  telemetry: false\n"
        "general_settings:\n"
        f"  master_key: {MASTER_KEY}\n")
    port = free_port()
    env = {
        # Offline: use the cost map bundled in the package instead of fetching it at start-up.
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
        "DISABLE_SCHEMA_UPDATE": "True",
    }
    env.pop("DATABASE_URL", None)
    cmd = [str(exe), "--config", str(config), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]
    server = Server("litellm", cmd, port, GATEWAY_CPU, log_dir, env=env, health="/health/liveliness")
    # LiteLLM must not see Tollgate's database settings.
    server.env.pop("DATABASE_URL", None)
    server.env.pop("REDIS_URL", None)
    return server.start(timeout=120)
