"""A shot's prompt as it is sent: each @name of the kit's elements expanded to its
description, then the kit's style line appended. No Django queries here: the caller hands in
the elements (one query for a whole batch or a whole page)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass

# @name where a mention starts: not inside a word or an address (a@b.com, x.@y), the name
# taken whole (possessive, so @sneakers is never read as @sneaker followed by "s"), and not
# running on into an underscore.
MENTION = re.compile(r"(?<![\w.@+-])@([A-Za-z0-9][A-Za-z0-9-]*+)(?!\w)")


@dataclass(frozen=True)
class PromptAsSent:
    text: str
    unknown: tuple[str, ...]  # the @names the kit does not have, in the order first written


def join_style(prompt: str, style: str) -> str:
    """The style line after the prompt as a sentence of its own: ". " unless the prompt
    already ends one."""
    prompt, style = prompt.rstrip(), style.strip()
    if not style:
        return prompt
    if not prompt:
        return style
    return f"{prompt} {style}" if prompt[-1] in ".!?" else f"{prompt}. {style}"


def prompt_as_sent(prompt: str, elements: Mapping[str, str], style: str = "") -> PromptAsSent:
    """`elements` maps a name to its description. Names match whatever their case in the
    prompt (names are stored lowercase); one written with a trailing hyphen keeps it."""
    unknown: list[str] = []

    def expand(match: re.Match) -> str:
        written = match.group(1)
        name = written.rstrip("-")
        trailing = written[len(name) :]
        description = elements.get(name.lower())
        if description is None:
            if name not in unknown:
                unknown.append(name)
            return match.group(0)
        return description + trailing

    text = MENTION.sub(expand, prompt)
    return PromptAsSent(text=join_style(text, style), unknown=tuple(unknown))
