#!/usr/bin/env python3
"""3-way merge of JSON documents: scripts/json3merge.py BASE OURS THEIRS OUT (for a conflicted rest/openapi.json: git show :1:/:2:/:3:rest/openapi.json give the three). Dict keys union, string lists union,
'- item' description strings union; a true conflict is reported and ours kept."""
import json, collections, sys
sys.path.insert(0, __import__('os').path.dirname(__file__)); import jsonfmt
OD = collections.OrderedDict
conflicts = []
def merge(b, o, t, path):
    if o == t: return o
    if b == o: return t
    if b == t: return o
    if isinstance(o, dict) and isinstance(t, dict):
        b = b if isinstance(b, dict) else {}
        out = OD()
        keys = list(o.keys())
        for i, k in enumerate(t.keys()):
            if k not in keys:
                # insert after the previous key of theirs
                prev = list(t.keys())[:i]
                pos = max([keys.index(p) for p in prev if p in keys], default=-1) + 1
                keys.insert(pos, k)
        for k in keys:
            if k in o and k in t: out[k] = merge(b.get(k), o[k], t[k], path + '/' + k)
            elif k in o:
                if k in b and b[k] == o[k]: continue  # theirs deleted
                out[k] = o[k]
            else:
                if k in b and b[k] == t[k]: continue  # ours deleted
                out[k] = t[k]
        return out
    if isinstance(o, list) and isinstance(t, list):
        bl = b if isinstance(b, list) else []
        out = list(o)
        for x in t:
            if x not in out and x not in bl: out.append(x)
        out = [x for x in out if not (x in bl and (x not in t or x not in o))]
        return out
    if isinstance(o, str) and isinstance(t, str) and '\n- ' in o and '\n- ' in t:
        bi = b.split('\n- ') if isinstance(b, str) else []
        oi, ti = o.split('\n- '), t.split('\n- ')
        out = list(oi)
        for x in ti:
            if x not in out and x not in bi: out.append(x)
        return '\n- '.join(out)
    conflicts.append(path)
    return o
load = lambda p: json.load(open(p), object_pairs_hook=OD)
res = merge(load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3]), '')
open(sys.argv[4], 'w').write(jsonfmt.fmt(res) + '\n')
print('conflicts:', conflicts)
