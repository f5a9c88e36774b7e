"""Numbers said in words: "three hundred and twenty thousand", "two and a half", "an
eighth", "twenty twenty-nine". A closed grammar: a run of words that is not a number plainly
said reads as no number, never as a guess."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentgate.extraction.lexicon import FRACTIONS, MULTIPLIERS, ONES, TENS

if TYPE_CHECKING:
    from agentgate.extraction.numbers import Token


def word_value(words: list[str]) -> float | None:
    """'three hundred and twenty thousand' → 320000; 'two and a half' → 2.5; None if not a
    number. Fractions apply to the number before them."""
    total, current, seen = 0.0, 0.0, False
    index = 0
    while index < len(words):
        word = words[index]
        if word in ONES:
            if current % 10 or (current and current % 100 < 20 and current % 100):
                return None  # "twenty five six"
            current += ONES[word]
            seen = True
        elif word in TENS:
            if current % 100:
                return None  # "two fifty": 250, or 2.50? not said plainly enough to read
            current += TENS[word]
            seen = True
        elif word in ("a", "an") and index + 1 < len(words) and (
                words[index + 1] in MULTIPLIERS or words[index + 1] in FRACTIONS):
            if words[index + 1] in FRACTIONS:
                current += FRACTIONS[words[index + 1]]
                index += 1
                seen = True
            else:
                current = max(current, 1)
                seen = True
        elif word == "half" and not seen:
            current, seen = 0.5, True
            if index + 1 < len(words) and words[index + 1] in ("a", "an"):
                index += 1
        elif word in FRACTIONS and seen and current and index > 0 and words[index - 1] in (
                "three", "two", "one"):
            # "and three quarters": the count was added to current; undo it.
            count = ONES[words[index - 1]]
            current = current - count + count * FRACTIONS[word]
        elif word == "hundred":
            current = (current or 1) * 100
            seen = True
        elif word == "dozen":
            current = (current or 1) * 12
            seen = True
        elif word in ("thousand", "million", "billion"):
            total += (current or 1) * MULTIPLIERS[word]
            current, seen = 0.0, True
        elif word == "and":
            pass
        elif word == "point" and seen:
            decimals = []
            while index + 1 < len(words) and words[index + 1] in ONES and ONES[
                    words[index + 1]] < 10:
                index += 1
                decimals.append(str(ONES[words[index]]))
            if not decimals:
                return None
            current += float("0." + "".join(decimals))
        else:
            return None
        index += 1
    return total + current if seen else None


NUMBER_WORDS = set(ONES) | set(TENS) | {"hundred", "thousand", "million", "billion",
                                          "dozen"}
JOINERS = {"and", "a", "an", "half", "quarter", "quarters", "point"}


def word_run(tokens: list[Token], index: int) -> int:
    """End (exclusive) of the longest run of number words starting at `index`, or index."""
    end = index
    probe = index
    while probe < len(tokens):
        token = tokens[probe]
        if token.kind == "sym" and token.text == "-" and probe > index and probe + 1 < len(
                tokens) and tokens[probe + 1].text in ONES:
            probe += 1
            continue
        if token.kind != "word":
            break
        if token.text == "and" and probe + 2 < len(tokens) and tokens[probe + 2].text in \
                FRACTIONS:
            break  # "two and three quarters": the fraction is read after the run
        if token.text in NUMBER_WORDS:
            end = probe + 1
        elif token.text in JOINERS:
            pass
        elif token.text in FRACTIONS and probe > index:
            end = probe + 1
        else:
            break
        probe += 1
    # Trailing fraction words only count with their article: "and a half".
    return end


def fraction_after(tokens: list[Token], index: int) -> tuple[float, int]:
    """'and a half', 'and an eighth', 'and three quarters' after a number: (value, end)."""
    words = [t.text for t in tokens[index:index + 3]]
    if len(words) == 3 and words[0] == "and" and words[2] in FRACTIONS:
        if words[1] in ("a", "an"):
            return FRACTIONS[words[2]], index + 3
        if words[1] in ONES and 0 < ONES[words[1]] < 10:
            return ONES[words[1]] * FRACTIONS[words[2]], index + 3
    return 0.0, index


def spoken_year(words: list[str]) -> int | None:
    """'twenty twenty-nine' → 2029, 'nineteen ninety' → 1990: a year said in two halves."""
    if len(words) < 2 or words[0] not in ("nineteen", "twenty") or "and" in words:
        return None
    rest = words[1:]
    if len(rest) == 1 and (rest[0] in TENS or (rest[0] in ONES and ONES[rest[0]] >= 10)):
        tail = TENS.get(rest[0], ONES.get(rest[0]))
    elif len(rest) == 2 and rest[0] in TENS and rest[1] in ONES and 0 < ONES[rest[1]] < 10:
        tail = TENS[rest[0]] + ONES[rest[1]]
    else:
        return None
    return (19 if words[0] == "nineteen" else 20) * 100 + tail
