import pkgutil
import subprocess
import sys
from pathlib import Path

import hwr_desktop.core

# Every module of core, its subpackages' modules included, found rather than listed: a new one is
# checked without anyone remembering to.
CORE_MODULES = sorted(m.name for m in pkgutil.walk_packages(hwr_desktop.core.__path__, "hwr_desktop.core."))


def test_core_imports_without_qt():
    # A fresh interpreter: pytest-qt has already loaded PySide6 into this one.
    code = ("import sys\n"
            + "".join(f"import {m}\n" for m in CORE_MODULES)
            + "import hwr_desktop.cli\n"
            + "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'))\n"
            + "assert not loaded, loaded\n"
            + "assert 'tensorflow' in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_module_of_core_is_found():
    # walk_packages descends into the subpackages; a plain iter_modules would see only the folders.
    root = Path(hwr_desktop.core.__file__).parent
    on_disk = {"hwr_desktop.core." + ".".join(p.relative_to(root).with_suffix("").parts)
               for p in root.rglob("*.py") if p.name != "__init__.py"}
    assert len(on_disk) > 50 and on_disk <= set(CORE_MODULES)


def test_listing_presets_does_not_import_tensorflow():
    code = ("import sys\nfrom hwr_desktop.core.network.presets import preset_names\n"
            "from hwr_desktop.core.data import preprocess\n"
            "assert preset_names() == ['keras-example', 'quick', 'default', 'deskew']\n"
            "assert 'tensorflow' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]


def test_core_subpackage_init_files_are_empty():
    # No eager imports: `import hwr_desktop.core.models` must not pull in TensorFlow for whoever
    # only wants models.info (the app's start, `predict` before its model loads).
    root = Path(hwr_desktop.core.__file__).parent
    inits = sorted(root.glob("*/__init__.py"))
    assert len(inits) >= 9
    assert [p.relative_to(root).as_posix() for p in inits if p.read_text(encoding="utf-8").strip()] == []


def test_importing_core_subpackages_imports_nothing_else():
    packages = sorted(m.name for m in pkgutil.iter_modules(hwr_desktop.core.__path__, "hwr_desktop.core.") if m.ispkg)
    code = ("import sys\n" + "".join(f"import {p}\n" for p in packages)
            + "core = sorted(m for m in sys.modules if m.startswith('hwr_desktop.core.'))\n"
            + f"assert core == {packages!r}, core\n"
            + "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
