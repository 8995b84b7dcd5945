"""A session's interpreter: what is installed in it, installing a pin into it, and the device.

The nox process calls these; :data:`DESCRIBE` runs *inside* the session's interpreter (Python 3.7+,
standard library only) so that nothing is imported into nox's own process.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from typing import Iterable, Mapping, Sequence

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

#: Printed as JSON by ``python -c DESCRIBE [cuda]`` in the interpreter being described. Versions come
#: from the installed distributions' metadata (no import, so a broken torch still gets described);
#: with the ``cuda`` argument it imports torch to name the GPU.
DESCRIBE = r"""
import json, os, platform, re, sys
try:
    from importlib import metadata
except ImportError:  # Python 3.7 (the torch 1.0/1.4 pins): importlib.metadata is 3.8+
    metadata = None
def _dist_info(name):
    # What importlib.metadata.version does, by hand: the METADATA of <name>-<version>.dist-info on sys.path.
    want = re.sub(r"[-_.]+", "_", name).lower()
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                stem = entry.rsplit(".", 1)[0]
                dist, _, found = stem.partition("-")
                if re.sub(r"[-_.]+", "_", dist).lower() == want and found:
                    return found.split("-")[0]
    return None
def version(*names):
    for name in names:
        try:
            found = metadata.version(name) if metadata else _dist_info(name)
        except Exception:
            found = None
        if found:
            return found
    return None
info = {
    "python": platform.python_version(),
    "executable": sys.executable,
    "platform": platform.platform(),
    "torch": version("torch"),
    "numpy": version("numpy"),
    "tensorflow": version("tensorflow-cpu", "tensorflow", "tensorflow-intel", "tf-nightly"),
    "cuda_device_name": None,
}
# The distribution's version has no build suffix (PyPI's 1.13.1 is a +cu117 build); torch/version.py
# has it and the CUDA it was built for. Read as text: importing torch here would defeat the point above.
try:
    import importlib.util, re
    spec = importlib.util.find_spec("torch")
    origin = spec and spec.submodule_search_locations and list(spec.submodule_search_locations)[0]
    text = open(origin + "/version.py").read() if origin else ""
    build = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)", text, re.M)
    cuda = re.search(r"^cuda\s*(?::[^=]*)?=\s*['\"]([^'\"]+)", text, re.M)
    info["torch_build"] = build.group(1) if build else info["torch"]
    info["torch_cuda"] = cuda.group(1) if cuda else None
except Exception:
    info["torch_build"], info["torch_cuda"] = info["torch"], None
if sys.argv[1:] == ["cuda"] and info["torch"]:
    try:
        import torch
        if torch.cuda.is_available():
            info["cuda_device_name"] = torch.cuda.get_device_name(0)
    except Exception as exc:
        info["cuda_error"] = "%s: %s" % (type(exc).__name__, exc)
print(json.dumps(info))
"""

#: uv's (and pip's) messages when a requirement has no distribution for this interpreter/platform:
#: the pin "can't exist here", which is recorded as not run rather than as a failure. A resolver
#: conflict between two pins ("... depends on numpy<2 and you require numpy>=2") is not one of these:
#: that is a mistake in PINS and must fail the session.
NO_DISTRIBUTION = re.compile(
    r"no wheels? with a matching (?:platform|Python ABI|Python implementation) tag"
    r"|has no (?:usable )?wheels"
    r"|no matching distribution"
    r"|there is no version of"
    r"|only (?:has|have) wheels with the following",
    re.IGNORECASE,
)
#: The requirement a NO_DISTRIBUTION line is about: ``Because torch==1.8.1 has no wheels ...``,
#: ``Because there is no version of tensorflow-cpu==2.99.* ...``, ``... distribution found for torch==9``.
_SUBJECT = re.compile(r"(?:Because (?:there is no version of )?|found for )`?([A-Za-z0-9_.\-]+)", re.IGNORECASE)


def public_version(text: str | None) -> Version | None:
    """``2.4.1+cu121`` -> ``Version("2.4.1")``; None for None or something that is not a version."""
    if not text:
        return None
    try:
        return Version(Version(text).public)
    except InvalidVersion:
        return None


def version_key(text: str | None) -> tuple:
    """Sort key for versions like '1.13.1', '2.4.1+cu121': packaging's order of the public version (the
    local suffix ignored; 2.5.0rc1 before 2.5.0). Anything that is not a version (None, '?',
    'installed') sorts after every version; a caller with words around a version ('TensorFlow 2.0.0')
    passes the version alone."""
    version = public_version(str(text)) if text else None
    return (0, version) if version is not None else (1,)


def version_matches_pin(installed: str | None, pin: str) -> bool:
    """Whether an installed release is the pinned one, local build suffixes (+cu121, +cpu) aside."""
    have = public_version(installed)
    return have is not None and have == Version(pin)


def in_spec(installed: str | None, spec: str | None) -> bool:
    """``spec`` is a PEP 440 specifier set (``">=2.0,<2.3"``) or a bare version, optionally with ``.*``."""
    if spec is None:
        return True
    have = public_version(installed)
    if have is None:
        return False
    spec = spec.strip()
    if spec and spec[0].isdigit():
        spec = "==" + spec
    try:
        return have in SpecifierSet(spec)
    except InvalidSpecifier:
        return False


def describe(python: str, cuda: bool = False, env: Mapping[str, str] | None = None) -> dict:
    """Versions and platform of the interpreter ``python`` (see :data:`DESCRIBE`)."""
    cmd = [python, "-c", DESCRIBE] + (["cuda"] if cuda else [])
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(env or os.environ), timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"could not describe {python}: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def no_gpu_reason() -> str | None:
    """Why there is certainly no NVIDIA GPU here, decided without importing torch; None if one may be.

    Cheap on purpose: it runs before anything is installed, so that a cuda session on a CPU machine
    (CI included) costs nothing and is recorded as not run. ``MATRIX_ASSUME_GPU=1`` overrides it.
    """
    if os.environ.get("MATRIX_ASSUME_GPU") == "1":
        return None
    if shutil.which("nvidia-smi") or os.path.exists("/proc/driver/nvidia"):
        return None
    return "no NVIDIA GPU on this machine (no nvidia-smi on PATH, no /proc/driver/nvidia)"


def cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), with " (CPU)" appended."""
    name = ""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    name = name or platform.processor() or platform.machine() or "unknown"
    return f"{name} (CPU)"


def tensorflow_distribution(tensorflow: str) -> str:
    """The PyPI name of the CPU build of TensorFlow ``tensorflow`` (a version or ``2.12.*``).

    TensorFlow 2.x: ``tensorflow-cpu`` (no CUDA libraries: ~200 MB instead of ~600 MB). TensorFlow 1.x:
    ``tensorflow``, which was the CPU build until 2.1 (GPU support was the separate ``tensorflow-gpu``);
    ``tensorflow-cpu`` has a single 1.x release on PyPI (1.15.0), none for 1.13.
    https://www.tensorflow.org/install/pip#older-versions-of-tensorflow
    """
    major = tensorflow.strip().lstrip("=<>~!").split(".")[0]
    return "tensorflow" if major in ("0", "1") else "tensorflow-cpu"


def requirements(torch: str, numpy: str, tensorflow: str | None) -> list[str]:
    """What a pinned session installs: torch, its NumPy, the paired TensorFlow CPU build, packaging (for shims).

    TensorFlow 1.x also gets ``protobuf<3.20``: its generated ``*_pb2`` modules predate protobuf 4,
    which refuses them ("TypeError: Descriptors cannot not be created directly."; protobuf's own advice
    is to downgrade to 3.20.x or lower): https://github.com/protocolbuffers/protobuf/issues/10051
    """
    reqs = [f"torch=={torch}", numpy]
    if tensorflow:
        name = tensorflow_distribution(tensorflow)
        reqs.append(f"{name}=={tensorflow}")
        if name == "tensorflow":
            reqs.append("protobuf<3.20")
    reqs.append("packaging")
    return reqs


def satisfied(info: Mapping[str, object], torch: str, numpy: str, tensorflow: str | None) -> bool:
    """Whether ``info`` (from :func:`describe`) already holds the pin, so that a reused venv installs nothing."""
    if not version_matches_pin(info.get("torch"), torch):  # type: ignore[arg-type]
        return False
    numpy_spec = numpy[len("numpy"):] or None
    if not info.get("numpy") or not in_spec(info.get("numpy"), numpy_spec):  # type: ignore[arg-type]
        return False
    if tensorflow and not in_spec(info.get("tensorflow"), tensorflow):  # type: ignore[arg-type]
        return False
    return True


def index_args(env: Mapping[str, str] | None = None) -> list[str]:
    """uv options for another torch index (``TORCH_INDEX_URL``), e.g. the CPU-only wheels.

    The index is added with ``--extra-index-url`` (PyPI stays, for numpy and tensorflow-cpu) and
    ``--index-strategy unsafe-best-match`` (``TORCH_INDEX_STRATEGY`` to change it), so that
    ``torch==2.4.1`` may resolve to ``2.4.1+cpu`` from that index.
    """
    env = os.environ if env is None else env
    url = env.get("TORCH_INDEX_URL", "").strip()
    if not url:
        return []
    return ["--extra-index-url", url, "--index-strategy", env.get("TORCH_INDEX_STRATEGY", "unsafe-best-match")]


def install(python: str, reqs: Sequence[str], extra: Iterable[str] = ()) -> tuple[int, str]:
    """``uv pip install --compile-bytecode --python PYTHON REQS``; returns (exit status, combined output).

    ``--compile-bytecode`` does what pip does by default. Without it a run that finds no .pyc
    compiles the libraries' sources and shows their compile-time warnings (keras 2.12:
    ``DeprecationWarning: invalid escape sequence``), and whether it finds one depends on earlier
    runs and on PYTHONDONTWRITEBYTECODE: a cell's warnings would depend on the venv's history. It costs
    ~30-40 s per fresh venv (2 busy cores).
    """
    uv = shutil.which("uv") or os.path.join(os.path.dirname(sys.executable), "uv")
    cmd = [uv, "pip", "install", "--compile-bytecode", "--python", python, *extra, *reqs]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return out.returncode, " ".join(cmd) + "\n" + out.stdout


def no_distribution(output: str, package: str = "torch") -> str | None:
    """The line of uv's output saying that ``package`` has no distribution here, if it says so."""
    for line in output.splitlines():
        subject = _SUBJECT.search(line)
        if NO_DISTRIBUTION.search(line) and subject and subject.group(1).lower() == package.lower():
            line = line.strip(" ×╰─▶")
            return line[len("cause: "):] if line.startswith("cause: ") else line
    return None


def commit(root: str) -> str | None:
    """``git rev-parse --short HEAD`` plus ``-dirty`` when the tree has changes (untracked files too,
    results/ aside); None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=30)
        if head.returncode != 0:
            return None
        # results/ is left out: the matrix writes it, and one session's file must not make the next dirty.
        dirty = subprocess.run(["git", "status", "--porcelain", "--", ".", ":(exclude)results"], cwd=root,
                               capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
