"""core/files.py: the one home of atomic writes (model files, sample zips, designs, pictures, CSVs, exports)."""
import errno
import os

import pytest

from hwr_desktop.core import files


def test_replacing_renames_a_complete_file_over_the_old_one(tmp_path):
    target = tmp_path / "model.keras"
    target.write_text("old")
    with files.replacing(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".model.") and tmp.suffix == ".keras"
        tmp.write_text("new")
        assert target.read_text() == "old"             # the old file stays until the new one is whole
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_replacing_makes_an_ordinary_file_not_mkstemps_private_one(tmp_path):
    umask = os.umask(0o022)
    try:
        path = files.write_text(tmp_path / "design.json", "{}\n")
    finally:
        os.umask(umask)
    assert path.read_text() == "{}\n" and path.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "samples.zip"
    target.write_text("old")
    with pytest.raises(OSError, match="disk full"), files.replacing(target) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "disk full")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["samples.zip"]


def test_a_folder_is_published_over_a_folder_but_not_over_a_file(tmp_path):
    out = tmp_path / "saved_model"
    out.mkdir()
    (out / "old.pb").write_text("old")
    tmp = files.temporary_beside(out, folder=True)
    (tmp / "new.pb").write_text("new")
    readme = tmp_path / "saved_model.README.md"
    files.publish(tmp, out, {readme: "# read me\n"}, [])
    assert sorted(p.name for p in out.iterdir()) == ["new.pb"] and readme.read_text() == "# read me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved_model", "saved_model.README.md"]

    in_the_way = tmp_path / "plain_file"
    in_the_way.write_text("keep")
    tmp = files.temporary_beside(in_the_way, folder=True)
    with pytest.raises(NotADirectoryError, match="a file of that name is in the way"):
        files.move_into_place(tmp, in_the_way)
    assert in_the_way.read_text() == "keep"
