"""The HIL link's armed power cut (co2hr.hil_link.CutFs) counts the bytes written to the
files it names, by their own name: a board whose flash folder's path happens to hold the
name part (a temporary folder "sil-flash-..ev..") must not have its settings store cut
in place of its event log."""

import pytest

from co2hr.hil_link import CutFs, PowerFail


def test_the_cut_counts_the_named_files_only_even_in_a_folder_that_holds_the_name(tmp_path):
    flash = tmp_path / "sil-flash-x7evq2" / "flash"
    flash.mkdir(parents=True)
    fs = CutFs()
    fs.arm(20, "ev")
    f = fs.open(str(flash / "store_a.dat"), "wb")  # the settings store: not counted
    f.write(b"s" * 1500)
    f.close()
    assert not fs.dead and fs.budget == 20
    f = fs.open(str(flash / "ev3.dat"), "ab")
    f.write(b"e" * 12)
    with pytest.raises(PowerFail):
        f.write(b"e" * 12)  # 12 + 12 > 20: the cut comes inside this write
    f.close()
    assert fs.dead and (flash / "ev3.dat").read_bytes() == b"e" * 20
    assert (flash / "store_a.dat").stat().st_size == 1500
    with pytest.raises(PowerFail):
        fs.open(str(flash / "store_b.dat"), "wb")  # no power: nothing more is written
