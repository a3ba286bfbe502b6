# SPDX-License-Identifier: AGPL-3.0-or-later
"""Reads an HTML page (stdin) at a URL (argv[1]) with mf2py, an independent microformats2
parser, and prints what a Webmention receiver would take from its first h-entry as JSON:
name, url, published, content text, and the author h-card's name and url."""
import json
import sys

import mf2py


def first(props, name):
    values = props.get(name) or []
    return values[0] if values else None


def main():
    parsed = mf2py.parse(doc=sys.stdin.read(), url=sys.argv[1])
    entries = [i for i in parsed["items"] if "h-entry" in i["type"]]
    for item in parsed["items"]:
        entries += [c for c in item.get("children", []) if "h-entry" in c["type"]]
    if not entries:
        print(json.dumps(None))
        return
    props = entries[0]["properties"]
    author = first(props, "author")
    content = first(props, "content")
    print(json.dumps({
        "name": first(props, "name"),
        "url": first(props, "url"),
        "published": first(props, "published"),
        "content": content["value"] if isinstance(content, dict) else content,
        "author_type": author.get("type") if isinstance(author, dict) else None,
        "author_name": first(author["properties"], "name") if isinstance(author, dict) else None,
        "author_url": first(author["properties"], "url") if isinstance(author, dict) else None,
    }))


if __name__ == "__main__":
    main()
