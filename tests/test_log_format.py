"""An operator who sets KZCN_LOG_FORMAT=json gets one parseable JSON object per log line."""

import json

from .test_settings import run_manage

LOG_SOMETHING = """
import logging
logging.getLogger("kzcn.test").warning("disk %s full", "sealed", extra={"percent": 97})
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("kzcn.test").exception("it broke")
"""


def test_json_log_lines_carry_level_logger_message_and_extras(tmp_path):
    result = run_manage(tmp_path, "shell", "-c", LOG_SOMETHING, KZCN_LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    warning, error = [line for line in lines if line["logger"] == "kzcn.test"]
    assert warning["level"] == "WARNING" and warning["message"] == "disk sealed full" and warning["percent"] == 97
    assert "ZeroDivisionError" in error["exception"]


def test_plain_logs_by_default(tmp_path):
    result = run_manage(tmp_path, "shell", "-c", LOG_SOMETHING)

    assert "WARNING kzcn.test disk sealed full" in result.stderr
