"""Production settings come from the environment; a deployment check passes when they are set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PRODUCTION = {
    "CXLOOP_DEBUG": "0",
    "CXLOOP_SECRET_KEY": "x" * 60 + "-not-a-real-secret-but-long-and-varied-0123456789",
    "CXLOOP_ALLOWED_HOSTS": "cx.example.com",
}


def run_cxloop(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their live server; a deployment never has it.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CXLOOP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "cxloop", *args],
        env={**clean, "CXLOOP_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def setting(name: str, env: dict[str, str], tmp_path: Path) -> str:
    result = run_cxloop(
        ["shell", "-c", f"from django.conf import settings; print(settings.{name})"], env, tmp_path
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_an_https_public_address_turns_on_the_redirect_in_production(tmp_path: Path) -> None:
    env = {**PRODUCTION, "CXLOOP_PUBLIC_URL": "https://cx.example.com"}
    assert setting("SECURE_SSL_REDIRECT", env, tmp_path) == "True"
    assert setting("SECURE_SSL_REDIRECT", {**env, "CXLOOP_SSL_REDIRECT": "0"}, tmp_path) == "False"
    plain = {**PRODUCTION, "CXLOOP_PUBLIC_URL": "http://10.0.0.5:8000"}
    assert setting("SECURE_SSL_REDIRECT", plain, tmp_path) == "False"


def test_the_deployment_check_is_clean_with_tls_settings(tmp_path: Path) -> None:
    env = {
        **PRODUCTION,
        "CXLOOP_PUBLIC_URL": "https://cx.example.com",
        "CXLOOP_BEHIND_TLS_PROXY": "1",
        "CXLOOP_HSTS_SECONDS": "31536000",
        "CXLOOP_HSTS_INCLUDE_SUBDOMAINS": "1",
        "CXLOOP_HSTS_PRELOAD": "1",
    }
    result = run_cxloop(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    # Without them, Django's deployment check names what is missing.
    bare = run_cxloop(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert bare.returncode != 0
    assert "security.W004" in bare.stderr  # no HSTS
    assert "security.W008" in bare.stderr  # no SSL redirect


@pytest.mark.parametrize("value", ["a year", "-"])
def test_a_malformed_hsts_duration_stops_start_up(value: str, tmp_path: Path) -> None:
    result = run_cxloop(["check"], {**PRODUCTION, "CXLOOP_HSTS_SECONDS": value}, tmp_path)
    assert result.returncode != 0
    assert "CXLOOP_HSTS_SECONDS must be a whole number" in result.stderr
