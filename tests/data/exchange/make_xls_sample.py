"""Write the one legacy .xls (BIFF8) sample: the synonym list of make_samples.py, as old office software saves it.

Nothing the project installs writes .xls, so this runs once, by hand, in a throwaway environment with the
`xlwt` package (``python -m venv /tmp/x && /tmp/x/bin/pip install xlwt && /tmp/x/bin/python make_xls_sample.py``);
the .xls it writes is committed, and make_samples.py records what reading it must give.
"""

from pathlib import Path

import xlwt

HERE = Path(__file__).resolve().parent
# The same persons as the synonym samples of make_samples.py (ID_B valid; ID_A stored as a number, digits lost).
ID_B = "65312319850315028X"
ID_A_NUMERIC = float("653123199001011" + "000")


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for col, text in enumerate(["序号", " 姓名 ", "身份证号", "联系电话"], start=1):
        sheet.write(1, col, text)
    for col, text in enumerate(["1", "阿依古丽·买买提", ID_B, "13899887766"], start=1):
        sheet.write(2, col, text)
    sheet.write(3, 1, 2)
    sheet.write(3, 2, "吐尔逊·托合提")
    sheet.write(3, 3, ID_A_NUMERIC)
    sheet.write(3, 4, 13912345678)
    book.save(str(HERE / "身份证号_旧版.xls"))


if __name__ == "__main__":
    main()
