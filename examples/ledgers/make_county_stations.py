"""Writes county_stations.xlsx: a made-up 民政局 ledger of township social-work stations, messy
in the ways real ones are (every name, id and figure here is invented).

- a title row and a note row above the header, merged across the sheet;
- headers typed with a space (``编 号``) and full-width brackets (``服务面积（平方米）``), and
  headers of the bureau's own (``站点名称``, ``是否社工机构``) that mapping.yaml maps;
- 序号 and 备注 columns;
- 市 merged over every station, 县 merged over each county's stations;
- a 小计 row per county and a 合计 row, with figures typed by hand (丹棱县's 小计 counts the
  area the unreadable cell meant; the 合计's funds are 10,000 off);
- amounts as 30万, 12.5万元, 300,000 and plain numbers; dates as 2022年9月27日, 2022.9.27,
  2022/9/27, a date cell, a bare Excel serial (44652) and 2023年3月 (a month, in a date field);
- 是/否, √/× and 有 for yes and no;
- unreadable cells: 服务面积 ``约一百``, 建站日期 ``2023年3月``, 是否社工机构 ``待定``;
- a staff sheet (工作人员) and a services sheet (服务) keyed by station id, one staff row's
  date as a bare serial, one staff row for a station the ledger does not have (HY09).

Run ``python examples/ledgers/make_county_stations.py`` to write it again (openpyxl; with xlwt
installed it also writes county_stations.xls, the same ledger as Excel 97-2003 saves it).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TITLE = "眉山市乡镇(街道)社工站建设情况台账(2023年6月)"
NOTE = "填报单位:眉山市民政局(盖章)    填报日期:2023年7月5日    金额单位:元"
HEADER = [
    "序号",
    "编 号",
    "站点名称",
    "层级",
    "市",
    "县（市、区）",
    "乡镇（街道）",
    "服务面积（平方米）",
    "年度运营经费（元）",
    "建站日期",
    "已挂牌",
    "运营机构",
    "是否社工机构",
    "是否在民政部门登记",
    "备注",
]
LEVEL = "乡镇(街道)社工站"
OPERATOR = "眉山市示例社会工作服务中心"
# id, name, township, area, funds, established, plaque, social-work organisation, note
COUNTIES: list[tuple[str, list[list[Any]]]] = [
    (
        "丹棱县",
        [
            ["DL01", "齐乐镇社工站", "齐乐镇", 120, "30万", "2022年9月27日", "是", "是", ""],
            ["DL02", "杨场镇社工站", "杨场镇", 150, "12.5万元", 44652, "是", "是", ""],
            ["DL03", "仁美镇社工站", "仁美镇", "约一百", "300,000", "2022.9.27", "√", "是", "面积待复核"],
            ["DL04", "张场镇社工站", "张场镇", 90, 250000, date(2022, 10, 8), "否", "是", ""],
        ],
    ),
    (
        "洪雅县",
        [
            ["HY01", "止戈镇社工站", "止戈镇", 110, "20万元", "2022/9/27", "是", "是", ""],
            ["HY02", "三宝镇社工站", "三宝镇", 130, "25万", "2023年3月", "是", "是", "建站日期待补"],
            ["HY03", "中保镇社工站", "中保镇", 100, "18万", "2022年11月1日", "×", "待定", "运营机构变更中"],
            ["HY04", "东岳镇社工站", "东岳镇", 95, "20万", "2022年12月5日", "有", "是", ""],
            ["HY05", "花溪镇社工站", "花溪镇", 105, "22万", "2023年1月10日", "是", "否", ""],
        ],
    ),
]
# staff: station id, name, certificate, professional, full-time, joined
STAFF = [
    ["DL01", "李明", "中级", "是", "是", "2022年10月8日"],
    ["DL01", "王芳", "初级", "是", "是", 44805],  # a bare serial: 2022-09-01
    ["DL02", "赵强", "中级", "是", "是", "2022年5月1日"],
    ["DL02", "陈静", "初级", "是", "否", "2022年5月1日"],
    ["DL03", "刘洋", "初级", "是", "是", "2022年10月1日"],
    ["DL03", "周敏", "无", "否", "是", "2022年10月1日"],  # one professional only
    ["DL04", "吴刚", "中级", "是", "是", "2022年11月1日"],
    ["DL04", "郑丽", "初级", "是", "是", "2022年11月1日"],
    ["HY01", "孙伟", "高级", "是", "是", "2022年10月1日"],
    ["HY01", "钱红", "初级", "是", "是", "2022年10月1日"],
    ["HY02", "冯军", "中级", "是", "是", "2023年3月20日"],
    ["HY02", "蒋梅", "初级", "是", "是", "2023年3月20日"],
    ["HY03", "沈涛", "中级", "是", "是", "2022年11月15日"],
    ["HY03", "韩雪", "初级", "是", "是", "2022年11月15日"],
    ["HY04", "杨帆", "中级", "是", "是", "2022年12月10日"],
    ["HY04", "朱琳", "初级", "是", "是", "2022年12月10日"],
    ["HY05", "秦岭", "中级", "是", "是", "2023年1月15日"],
    ["HY05", "许诺", "初级", "是", "是", "2023年1月15日"],
    ["HY09", "何平", "初级", "是", "是", "2023年2月1日"],  # no station HY09 in the ledger
]
AREAS = ["收集群众需求", "链接社会资源", "提供救助服务", "开展老幼关爱", "加强社区治理"]


def ledger_rows() -> tuple[list[list[Any]], list[tuple[int, int, int, int]]]:
    """The 社工站台账 sheet's rows (from row 1) and its merged ranges (row1, col1, row2, col2)."""
    width = len(HEADER)
    rows: list[list[Any]] = [[TITLE] + [None] * (width - 1), [NOTE] + [None] * (width - 1), HEADER]
    merges = [(1, 1, 1, width), (2, 1, 2, width)]
    first_station, n = len(rows) + 1, 0
    grand_area, grand_funds = 0, 0
    for county, stations in COUNTIES:
        top = len(rows) + 1
        for i, (sid, name, town, m2, money, day, plaque, swo, note) in enumerate(stations):
            n += 1
            city = "眉山市" if n == 1 else None
            here = county if i == 0 else None
            rows.append(
                [
                    n,
                    sid,
                    name,
                    LEVEL,
                    city,
                    here,
                    town,
                    m2,
                    money,
                    day,
                    plaque,
                    OPERATOR,
                    swo,
                    "是",
                    note or None,
                ]
            )
        merges.append((top, 6, len(rows), 6))  # the county, over its stations
        area = {"丹棱县": 120 + 150 + 100 + 90, "洪雅县": 110 + 130 + 100 + 95 + 105}[county]
        funds = {
            "丹棱县": 300000 + 125000 + 300000 + 250000,
            "洪雅县": 200000 + 250000 + 180000 + 200000 + 220000,
        }
        rows.append([f"{county}小计"] + [None] * 6 + [area, funds[county]] + [None] * 6)
        merges.append((len(rows), 1, len(rows), 3))
        grand_area, grand_funds = grand_area + area, grand_funds + funds[county]
    merges.append((first_station, 5, len(rows), 5))  # the city, over every station
    rows.append(["合计"] + [None] * 6 + [grand_area, grand_funds + 10000] + [None] * 6)  # funds typed 1万 off
    merges.append((len(rows), 1, len(rows), 3))
    return rows, merges


def second_sheets() -> dict[str, list[list[Any]]]:
    staff = [["站点编号", "社工姓名", "职业水平证书", "是否专业社工", "全职", "入职日期"], *STAFF]
    services = [["站点编号", "服务领域", "服务名称"]]
    for _, stations in COUNTIES:
        for sid, *_ in stations:
            for area in AREAS[:4] if sid == "DL04" else AREAS:  # DL04 does not cover 加强社区治理
                services.append([sid, area, f"{area}服务"])
    return {"工作人员": staff, "服务": services}


def write_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "社工站台账"
    rows, merges = ledger_rows()
    for row in rows:
        ws.append(row)
    for r1, c1, r2, c2 in merges:
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    for name, sheet_rows in second_sheets().items():
        sheet = wb.create_sheet(name)
        for row in sheet_rows:
            sheet.append(row)
    wb.save(path)


def write_xls(path: Path) -> None:
    """The same ledger as Excel 97-2003 saves it (needs xlwt; WPS .et files read the same)."""
    import xlwt  # type: ignore[import-untyped]

    book = xlwt.Workbook(encoding="utf-8")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    ws = book.add_sheet("社工站台账")
    rows, merges = ledger_rows()
    merged = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in merges}
    covered = {(r, c) for r1, c1, r2, c2 in merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if (r, c) in merged:
                r2, c2 = merged[(r, c)]
                ws.write_merge(r - 1, r2 - 1, c - 1, c2 - 1, value)
            elif (r, c) not in covered and value is not None:
                ws.write(r - 1, c - 1, value, dated if isinstance(value, date) else xlwt.Style.default_style)
    for name, sheet_rows in second_sheets().items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(sheet_rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.save(str(path))


if __name__ == "__main__":
    write_xlsx(HERE / "county_stations.xlsx")
    print(f"wrote {HERE / 'county_stations.xlsx'}")
    try:
        write_xls(HERE / "county_stations.xls")
        print(f"wrote {HERE / 'county_stations.xls'}")
    except ImportError:
        print("xlwt is not installed: county_stations.xls was left as it is")
