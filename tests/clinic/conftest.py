"""Shared by the clinic tests: capturing every log line as production's LOG_LEVEL=DEBUG
would write it (``all_logs``, ``record_texts``)."""

import logging
import traceback

import pytest


@pytest.fixture
def all_logs(caplog):
    """caplog with the root logger at DEBUG, as LOG_LEVEL=DEBUG sets it in production;
    loggers the settings pin (django at INFO) keep their level. Loggers that do not
    propagate get caplog's handler directly."""
    caplog.set_level(logging.DEBUG)
    detached = []
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate:
            if caplog.handler not in logger.handlers:
                logger.addHandler(caplog.handler)
                detached.append(logger)
    yield caplog
    for logger in detached:
        logger.removeHandler(caplog.handler)


def record_texts(records: list[logging.LogRecord]) -> list[str]:
    """Everything a handler could write for each record: message, arguments, exception,
    stack and extra attributes."""
    standard = set(vars(logging.makeLogRecord({})))
    texts = []
    for record in records:
        parts = [record.getMessage(), repr(record.args)]
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        if record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(record.stack_info)
        extras = {k: v for k, v in vars(record).items() if k not in standard}
        parts.append(repr(extras))
        texts.append(f"[{record.name}] " + " | ".join(parts))
    return texts
