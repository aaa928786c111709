"""The SMS backends shipped with the package."""

import io
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from oscar_loyalty.notifications.sms import ConsoleBackend, FileBackend, LocmemBackend, get_backend


def test_the_file_backend_appends_one_json_line_per_message(tmp_path):
    path = tmp_path / "sms.log"
    with override_settings(OSCAR_LOYALTY_SMS_FILE_PATH=path):
        backend = FileBackend()
        first = backend.send("+79161234567", "Привет: +305 бонусов")
        second = backend.send("+79161234568", "+40")

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(line["id"], line["phone"], line["text"]) for line in lines] == [
        (first, "+79161234567", "Привет: +305 бонусов"),
        (second, "+79161234568", "+40"),
    ]


def test_the_file_backend_needs_a_path():
    with override_settings(OSCAR_LOYALTY_SMS_FILE_PATH=None), pytest.raises(ImproperlyConfigured):
        FileBackend()


def test_the_console_backend_prints_the_message():
    backend = ConsoleBackend()
    backend.stream = io.StringIO()

    message_id = backend.send("+79161234567", "+305")

    assert f"SMS to +79161234567 [{message_id}]\n+305\n" in backend.stream.getvalue()


def test_the_backend_is_a_setting(sms_outbox):
    assert isinstance(get_backend(), LocmemBackend)  # the test settings' choice
    with override_settings(OSCAR_LOYALTY_SMS_BACKEND="oscar_loyalty.notifications.sms.ConsoleBackend"):
        assert isinstance(get_backend(), ConsoleBackend)
    with override_settings(OSCAR_LOYALTY_SMS_BACKEND="no.such.Backend"), pytest.raises(ImproperlyConfigured):
        get_backend()
