"""Prints how libyaml reads YAML files, for probes/tests/yaml_differential.rs.

Usage: python libyaml_tree.py FILE...

For each file, one line of JSON: {"docs": [tree, ...]} when libyaml (PyYAML's CSafeLoader) reads
the whole file, {"error": "..."} when it refuses it. A tree keeps the structure and the text of
the scalars as written, untyped:

- a scalar is {"s": text, "plain": bool, "tag": tag-or-null} (tag only when given explicitly);
- a sequence is a JSON list of trees;
- a mapping is {"m": [[key-tree, value-tree], ...]}, in document order, with merge keys (`<<`)
  resolved the way PyYAML's SafeConstructor resolves them (flatten_mapping);
- an empty document is {"empty": true}.

Aliases are followed (a node met again inside itself is {"cycle": true}).
"""

import json
import sys

import yaml

MAX_NODES = 2_000_000


class TooBig(Exception):
    pass


def tree(loader, node, stack, budget):
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise TooBig()
    if id(node) in stack:
        return {"cycle": True}
    if isinstance(node, yaml.ScalarNode):
        # The composer gives the resolved tag; it was given explicitly when it is not the one
        # the text resolves to without a tag. The comparison resolves untagged text itself.
        plain = node.style in (None, "")
        implicit = loader.resolve(yaml.ScalarNode, node.value, (plain, not plain))
        tag = None if node.tag == implicit else node.tag
        return {"s": node.value, "plain": plain, "tag": tag}
    stack.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            return [tree(loader, item, stack, budget) for item in node.value]
        loader.flatten_mapping(node)
        return {"m": [[tree(loader, k, stack, budget), tree(loader, v, stack, budget)] for k, v in node.value]}
    finally:
        stack.discard(id(node))


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    loader = yaml.CSafeLoader(data)
    docs = []
    try:
        budget = [0]
        while loader.check_node():
            node = loader.get_node()
            if isinstance(node, yaml.ScalarNode) and node.style in (None, "") and node.value == "" \
                    and node.tag == "tag:yaml.org,2002:null":
                docs.append({"empty": True})
            else:
                docs.append(tree(loader, node, set(), budget))
    except TooBig:
        return {"error": "too big"}
    except (yaml.YAMLError, ValueError, UnicodeDecodeError) as e:
        return {"error": type(e).__name__ + ": " + str(e).splitlines()[0] if str(e) else type(e).__name__}
    finally:
        loader.dispose()
    return {"docs": docs}


def main():
    sys.setrecursionlimit(20000)
    for path in sys.argv[1:]:
        try:
            out = read(path)
        except RecursionError:
            out = {"error": "too deep"}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
