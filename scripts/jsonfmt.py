"""Formats JSON the way rest/openapi.json is kept: 2-space indent, an array or object inline when it fits in 120
columns. Used by scripts/json3merge.py; `python3 scripts/jsonfmt.py FILE` rewrites FILE in place."""
import json
def inline(v): return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
def fmt(v, indent=0, prefix_len=0, width=120):
    pad = "  " * indent
    if isinstance(v, dict) and v:
        s = inline(v)
        if len(s) + prefix_len <= width: return s
        items = [pad + "  " + json.dumps(k, ensure_ascii=False) + ": " + fmt(x, indent + 1, len(pad) + 4 + len(json.dumps(k, ensure_ascii=False)), width) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list) and v:
        s = inline(v)
        if len(s) + prefix_len <= width: return s
        items = [pad + "  " + fmt(x, indent + 1, len(pad) + 2, width) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return inline(v)


if __name__ == "__main__":
    import collections, sys
    path = sys.argv[1]
    data = json.load(open(path, encoding="utf-8"), object_pairs_hook=collections.OrderedDict)
    open(path, "w", encoding="utf-8").write(fmt(data) + "\n")
