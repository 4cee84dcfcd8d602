import os
import subprocess
import sys

import pytest

from cxloop.common.email_url import EmailUrlError, parse_email_url


def test_smtp_with_starttls_credentials_decoded_and_timeout() -> None:
    settings = parse_email_url(
        "smtp://mailer%40example.com:p%40ss%2Fword@mail.example.com:587?tls=1&timeout=4.5"
    )

    assert settings == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer@example.com",
        "EMAIL_HOST_PASSWORD": "p@ss/word",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 4.5,
    }


@pytest.mark.parametrize(
    ("url", "port"),
    [("smtps://u:p@mail.example.com", 465), ("smtp://mail.example.com:2465?ssl=1", 2465)],
)
def test_implicit_tls(url: str, port: int) -> None:
    settings = parse_email_url(url)

    assert settings["EMAIL_USE_SSL"] is True
    assert settings["EMAIL_USE_TLS"] is False
    assert settings["EMAIL_PORT"] == port
    assert settings["EMAIL_TIMEOUT"] == 10.0


def test_plain_smtp_defaults_to_port_25_without_credentials() -> None:
    settings = parse_email_url("smtp://127.0.0.1")

    assert (
        settings["EMAIL_PORT"],
        settings["EMAIL_HOST_USER"],
        settings["EMAIL_HOST_PASSWORD"],
    ) == (
        25,
        "",
        "",
    )


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console://", "django.core.mail.backends.console.EmailBackend"),
        ("locmem://", "django.core.mail.backends.locmem.EmailBackend"),
        ("dummy://", "django.core.mail.backends.dummy.EmailBackend"),
    ],
)
def test_backends_without_a_server(url: str, backend: str) -> None:
    assert parse_email_url(url) == {"EMAIL_BACKEND": backend}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "unknown scheme"),
        ("smtp://", "host is missing"),
        ("smtp://mail.example.com:99999", "not a valid URL"),
        ("smtp://mail.example.com?tls=maybe", "tls"),
        ("smtp://mail.example.com?timeout=soon", "timeout"),
        ("smtp://mail.example.com?timeout=0", "timeout"),
        ("smtps://mail.example.com?tls=1", "either"),
        ("smtp://mail.example.com?starttls=1", "unknown option"),
        ("file://", "directory"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(EmailUrlError, match=message):
        parse_email_url(url)


def _settings_in_a_fresh_process(**environment: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_EMAIL")}
    env.update(DJANGO_SETTINGS_MODULE="cxloop.settings", **environment)
    return subprocess.run(  # noqa: S603 (the interpreter running the tests)
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_settings_read_the_url_and_refuse_a_bad_one_without_echoing_the_password() -> None:
    good = _settings_in_a_fresh_process(CXLOOP_EMAIL_URL="smtp://u:secret@127.0.0.1:2525?timeout=3")
    bad = _settings_in_a_fresh_process(CXLOOP_EMAIL_URL="smtq://u:hunter2@127.0.0.1:2525")
    both = _settings_in_a_fresh_process(
        CXLOOP_EMAIL_URL="console://",
        CXLOOP_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    backend_only = _settings_in_a_fresh_process(
        CXLOOP_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    )

    assert good.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "127.0.0.1",
        "2525",
        "3.0",
    ]
    assert bad.returncode != 0
    assert "ImproperlyConfigured: CXLOOP_EMAIL_URL is not usable: unknown scheme" in bad.stderr
    assert "hunter2" not in bad.stderr
    assert both.returncode != 0
    assert "not both" in both.stderr
    assert backend_only.stdout.split()[0] == "django.core.mail.backends.locmem.EmailBackend"
