"""matrix/facts/pins.py: the torch pins as data (noxfile.py, the bench, the workflow and the tests read them)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from matrix import ERAS, ROOT
from matrix.facts.pins import DEVICES, OLD_ERAS, PINS, Pin, newest, oldest, pin_of

pins = PINS


def test_pins_span_old_to_new_and_each_says_why():
    from packaging.version import Version

    versions = [Version(p.torch) for p in pins]
    assert versions == sorted(versions) and str(versions[0]) == "1.0.1" and len(pins) >= 4
    assert {"1.4.0", "1.8.1", "1.13.1", "2.0.1"} <= {p.torch for p in pins}
    for pin in pins:
        assert len(pin.why) > 30
        if Version(pin.torch) < Version("2.3"):  # built against NumPy 1
            assert pin.numpy.startswith("numpy<") and Version(pin.numpy[len("numpy<"):]) <= Version("2"), pin
    assert len({p.tensorflow for p in pins if p.tensorflow}) >= 2
    # the legacy era's own releases, with TensorFlow 1 (protobuf<3.20 comes with it: matrix/running/environment.py)
    tf1 = [p for p in pins if p.tensorflow and p.tensorflow.startswith("1.")]
    assert {p.torch for p in tf1} == {"1.0.1", "1.4.0"} and all(p.python == "3.7" for p in tf1)
    assert all("modern" not in p.eras and "legacy" in p.eras for p in tf1)


def test_the_eras_and_devices():
    assert OLD_ERAS == ("legacy", "tensor_autograd") and DEVICES == ("cpu", "cuda")
    assert all(set(pin.eras) <= set(ERAS) and pin.eras for pin in PINS)
    assert Pin("9.9.9", "3.11", "numpy", None, "a pin for every era by default").eras == ERAS
    assert len({pin.torch for pin in PINS}) == len(PINS)


def test_pin_of_oldest_and_newest():
    assert pin_of("2.4.1").python == "3.11" and pin_of("1.0.1") is oldest() is PINS[0]
    assert newest() is PINS[-1] and newest().torch == "2.15.0"
    with pytest.raises(ValueError) as refused:
        pin_of("0.3.0")
    message = str(refused.value)
    assert "\n" not in message and "'0.3.0'" in message and all(pin.torch in message for pin in PINS)


def test_importing_the_pins_does_nothing_else():
    """Data only: importing matrix.facts.pins imports no other module of the project, nor nox."""
    code = ("import sys, matrix.facts.pins; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matrix', 'nox')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["['matrix',", "'matrix.facts',", "'matrix.facts.pins']"]
