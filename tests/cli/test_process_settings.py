"""What the command sets for its whole process before running."""

from __future__ import annotations

import gc
import sys

import pytest

from contactpoint.cli.main import GC_THRESHOLDS, run


def test_the_command_collects_garbage_less_often_than_python_by_default(monkeypatch, capsys):
    before = gc.get_threshold()
    monkeypatch.setattr(sys, "argv", ["contactpoint", "--help"])
    try:
        with pytest.raises(SystemExit) as finished:
            run()
        assert finished.value.code == 0
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] > before[0]
    finally:
        gc.set_threshold(*before)
    assert "load" in capsys.readouterr().out
