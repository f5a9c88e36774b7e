"""Numbers in a message: digits or words, with what surrounds them (sign, currency, scale
word, unit), and every plausible reading when the separators leave a doubt.

"300 grand" is 300,000 of some currency; "seven and a quarter percent" is 7.25 percent;
"120.000" may be 120 or 120,000, so both readings are kept and the reader decides (or asks).
Arithmetic is bounded: no exponent notation and at most 18 digits, so no message can make
the reader compute a huge number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from agentgate.extraction.lexicon import (CURRENCY_SYMBOLS, MONEY_SCALES, SCALES,
                                          UNIT_WORDS, VAGUE_QUANTITIES)
from agentgate.extraction.number_words import (NUMBER_WORDS, fraction_after, spoken_year,
                                               word_run, word_value)

MAX_DIGITS = 18

TOKEN = re.compile(r"""
    (?P<num>\d{1,3}(?:\x20\d{3})+(?![\d.,])|\d+(?:[.,'’]\d+)*|(?<![\w.])\.\d+)
    (?P<ord>st|nd|rd|th)?(?P<tail>[a-z%][a-z0-9%]*)?
  | (?P<word>[a-z]+(?:['’][a-z]+)*)
  | (?P<sym>[$€£¥%~:=/\-+?!.,;()&'’])
""", re.X)


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    kind: str  # "num", "word", "sym"
    ordinal: bool = False
    tail: str = ""  # letters glued to digits: "300k", "15yrs"


def tokenize(lower: str) -> list[Token]:
    tokens = []
    for match in TOKEN.finditer(lower):
        if match.group("num") is not None:
            tokens.append(Token(match.group("num"), match.start(), match.end(), "num",
                                bool(match.group("ord")), match.group("tail") or ""))
        elif match.group("word") is not None:
            tokens.append(Token(match.group("word").replace("’", "'"), match.start(),
                                match.end(), "word"))
        else:
            tokens.append(Token(match.group("sym"), match.start(), match.end(), "sym"))
    return tokens


@dataclass(frozen=True)
class NumberMention:
    """A number as written, with its possible values (several when separators are unclear)."""

    start: int
    end: int
    text: str
    values: tuple[float | int, ...]
    unit: str | None = None      # canonical unit from UNIT_WORDS / currency
    unit_word: str | None = None  # the word that gave the unit, for messages
    scaled: bool = False          # "300k", "2.5 million"
    money_scale: bool = False     # "300 grand"
    ordinal: bool = False         # "4th"
    calendar_year: bool = False   # "in 2027"
    vague: bool = False           # "a couple", "a few"
    fallback: tuple[float | int, ...] = ()  # readings to try when no value fits
    spelled: bool = False         # "forty"
    next_word: str | None = None  # the word right after, when it is not a unit
    first_token: int = 0
    last_token: int = 0

    @property
    def value(self) -> float | int:
        return self.values[0]

    @property
    def ambiguous(self) -> bool:
        return len(self.values) > 1


def tidy(number: float) -> float | int:
    """A whole number as int; others rounded to 10 significant digits (0.1 + 0.2 → 0.3)."""
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    rounded = float(f"{number:.10g}")
    if rounded.is_integer() and abs(rounded) < 2**53:
        return int(rounded)
    return rounded


def digit_readings(text: str) -> tuple[float | int, ...]:
    """Every plausible value of a digit string with separators, most likely first.

    '1,234.5' → (1234.5,); '120.000' → (120, 120000); '7,25' → (7.25, 725);
    '1.234.567' → (1234567,); '250 000' → (250000,).
    """
    digits = re.sub(r"\D", "", text)
    if len(digits) > MAX_DIGITS:
        raise ValueError("too many digits")
    separators = re.findall(r"[.,'’ ]", text)
    if not separators:
        return (int(text),)
    groups = re.split(r"[.,'’ ]", text)
    kinds = set(separators)
    if kinds <= {" ", "'", "’"}:
        return (int(digits),)
    if len(kinds) == 2 and kinds <= {".", ","}:
        last = separators[-1]
        head, _, tail = text.rpartition(last)
        return (tidy(float(re.sub(r"\D", "", head) + "." + tail)),)
    if len(kinds) > 1:
        raise ValueError("mixed separators")
    mark = separators[0]
    if len(separators) > 1:
        if all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
            return (int(digits),)
        raise ValueError("not a number")
    head, tail = groups
    decimal = tidy(float(f"{head}.{tail}"))
    if len(tail) == 3 and 1 <= len(head) <= 3:
        grouped = int(head + tail)
        # "1.500" is 1.5 or 1500 with equal right; "1,500" is English for 1500.
        return (grouped,) if mark == "," else (decimal, grouped)
    if mark == "," and len(tail) == 2:
        return (decimal, int(head + tail))  # "7,25": a decimal comma, or a slip for 725
    return (decimal,)


def fallback_readings(text: str) -> tuple[float | int, ...]:
    """Readings worth trying only when none of `digit_readings` fits: '1,500' → 1.5 kg."""
    if re.fullmatch(r"\d{1,3},\d{3}", text):
        return (tidy(float(text.replace(",", "."))),)
    return ()


def _unit_after(tokens: list[Token], index: int, symbols_before: str | None
                ) -> tuple[str | None, str | None, bool, bool, int]:
    """(unit, unit word, scaled, money scale, index after) for what follows a number."""
    scaled = money = False
    unit, word = symbols_before, None
    probe = index
    if probe + 1 < len(tokens) and tokens[probe].text == "-" and tokens[probe + 1].kind == \
            "word" and UNIT_WORDS.get(tokens[probe + 1].text):  # "15-year"
        probe += 1
    if probe < len(tokens) and tokens[probe].kind == "word" and tokens[probe].text in SCALES \
            and tokens[probe].text not in ("m", "b") or (
            probe < len(tokens) and tokens[probe].text in ("m", "b")
            and tokens[probe].start == tokens[probe - 1].end):
        scaled = True
        money = tokens[probe].text in MONEY_SCALES
        probe += 1
    if probe < len(tokens):
        token = tokens[probe]
        two = token.text + " " + tokens[probe + 1].text if probe + 1 < len(tokens) else ""
        if two in UNIT_WORDS and UNIT_WORDS[two]:
            return UNIT_WORDS[two], two, scaled, money, probe + 2
        if token.text in UNIT_WORDS and UNIT_WORDS[token.text] and not (
                len(token.text) == 1 and token.text not in "%" and
                token.start != tokens[probe - 1].end):
            return UNIT_WORDS[token.text], token.text, scaled, money, probe + 1
        if token.text in CURRENCY_SYMBOLS:
            return "currency", token.text, scaled, money, probe + 1
        misspelt = _misspelt_unit(token.text) if token.kind == "word" else None
        if misspelt is not None:
            return misspelt, token.text, scaled, money, probe + 1
    return unit, word, scaled, money, probe


_SPELLED_UNITS = sorted(w for w, u in UNIT_WORDS.items() if u and len(w) >= 5 and " " not in w)


def _misspelt_unit(word: str) -> str | None:
    """'percnet' → percent, 'yeras' → years: one slip (a swap counts as one) in a unit
    word of five letters or more, when it points at a single unit."""
    if len(word) < 4 or word in UNIT_WORDS:
        return None
    hits = set()
    for known in _SPELLED_UNITS:
        if abs(len(known) - len(word)) <= 1 and DamerauLevenshtein.distance(
                word, known, score_cutoff=1) <= 1:
            hits.add(UNIT_WORDS[known])
    return hits.pop() if len(hits) == 1 else None


def _sign_and_currency(tokens: list[Token], index: int) -> tuple[int, str | None, int]:
    """(sign, currency unit, first token index) from what precedes a number."""
    sign, unit, first = 1, None, index
    probe = index - 1
    if probe >= 0 and tokens[probe].text in CURRENCY_SYMBOLS:
        unit, first = "currency", probe
        probe -= 1
    if probe >= 0 and tokens[probe].text == "-" and (
            probe == 0 or tokens[probe - 1].end < tokens[probe].start) and \
            tokens[probe].end == tokens[probe + 1].start:
        sign, first = -1, probe
        probe -= 1
    elif probe >= 0 and tokens[probe].text in ("minus", "negative"):
        sign, first = -1, probe
        probe -= 1
    if unit is None and probe >= 0 and tokens[probe].text in CURRENCY_SYMBOLS:
        unit, first = "currency", probe
    return sign, unit, first


_YEAR_CUES = {"in", "for", "of", "by", "until", "till", "since", "during", "year", "from",
              "before", "after", "through", "thru"}


def find_numbers(lower: str, tokens: list[Token], taken: set[int]) -> list[NumberMention]:
    """Every number in the message whose tokens are not already `taken` by another mention."""
    found: list[NumberMention] = []
    index = 0
    while index < len(tokens):
        if index in taken:
            index += 1
            continue
        token = tokens[index]
        mention = None
        if token.kind == "num":
            mention = _digits_at(lower, tokens, index)
        elif token.kind == "word" and (token.text in NUMBER_WORDS or token.text in (
                "a", "an", "half") or token.text in VAGUE_QUANTITIES):
            mention = _words_at(lower, tokens, index)
        if mention is None and token.kind == "word" and token.text in NUMBER_WORDS:
            end = word_run(tokens, index)
            if sum(t.text in NUMBER_WORDS for t in tokens[index:end]) >= 2:
                # "two fifty": number words that do not make one number
                found.append(_mention(lower, tokens, index, end - 1, (0,), vague=True,
                                      spelled=True))
                index = end
                continue
        if mention is None or any(i in taken for i in range(mention.first_token,
                                                            mention.last_token + 1)):
            index += 1
            continue
        found.append(mention)
        index = mention.last_token + 1
    return found


def _digits_at(lower: str, tokens: list[Token], index: int) -> NumberMention | None:
    token = tokens[index]
    try:
        values = digit_readings(token.text)
    except ValueError:
        return None
    sign, currency, first = _sign_and_currency(tokens, index)
    tail = token.tail
    scaled = money = False
    unit, unit_word = currency, None
    if token.ordinal:
        return _mention(lower, tokens, first, index, values, ordinal=True)
    if tail:
        if tail in SCALES:
            scaled, money = True, tail in MONEY_SCALES
        elif tail in UNIT_WORDS and UNIT_WORDS[tail]:
            unit, unit_word = UNIT_WORDS[tail], tail
        elif tail in ("am", "pm"):
            return NumberMention(token.start, token.end, token.text, values, unit="clock",
                                 unit_word=tail, first_token=index, last_token=index)
        else:
            return None  # "3rd-party", "4x4", "b2b": not a plain number
    after = index + 1
    if not tail or scaled:
        more_unit, more_word, more_scaled, more_money, after = _unit_after(
            tokens, index + 1, None)
        if more_scaled and scaled:
            return None
        scaled, money = scaled or more_scaled, money or more_money
        if more_unit is not None:
            unit, unit_word = more_unit, more_word
    if after < len(tokens) and tokens[after].text == ":" and after + 1 < len(tokens) and \
            tokens[after + 1].kind == "num" and tokens[after].start == token.end:
        return NumberMention(token.start, tokens[after + 1].end, "time", values,
                             unit="clock", unit_word="o'clock", first_token=index,
                             last_token=after + 1)
    unit, unit_word, after = _percent_after(tokens, after, unit, unit_word)
    fraction = 0.0
    if not tail and not scaled and unit is None and len(values) == 1:
        fraction, after = fraction_after(tokens, after)
        if not fraction and after + 2 < len(tokens) and tokens[after].kind == "num" and \
                tokens[after + 1].text == "/" and tokens[after + 2].kind == "num" and \
                tokens[after].end == tokens[after + 1].start and \
                tokens[after + 1].end == tokens[after + 2].start and \
                tokens[after + 2].text in ("2", "3", "4", "8", "16") and \
                tokens[after].text.isdigit() and \
                int(tokens[after].text) < int(tokens[after + 2].text):
            # "5 3/8%": a whole number and a fraction
            fraction = int(tokens[after].text) / int(tokens[after + 2].text)
            if tokens[after + 2].tail == "%":
                unit, unit_word = "percent", "%"
            after += 3
        if fraction:
            more_unit, more_word, scaled, money, after = _unit_after(tokens, after, None)
            if more_unit is not None:
                unit, unit_word = more_unit, more_word
            unit, unit_word, after = _percent_after(tokens, after, unit, unit_word)
    multiplier = 1
    if scaled:
        scale_token = tail if tail in SCALES else tokens[after - 1 if unit is None else
                                                          after - 2].text
        multiplier = SCALES.get(scale_token, 1)
    values = tuple(tidy(sign * (value + fraction) * multiplier) for value in values)
    last = after - 1
    calendar_year = (not scaled and unit is None and sign == 1 and len(token.text) == 4
                     and token.text.isdigit() and 1900 <= int(token.text) <= 2199
                     and first > 0 and tokens[first - 1].text in _YEAR_CUES)
    next_word = tokens[after].text if after < len(tokens) and tokens[after].kind == "word" \
        else None
    fallback = () if scaled or fraction or sign < 0 else fallback_readings(token.text)
    return _mention(lower, tokens, first, last, values, unit=unit, unit_word=unit_word,
                    scaled=scaled, money_scale=money, fallback=fallback,
                    calendar_year=calendar_year, next_word=next_word)


def _words_at(lower: str, tokens: list[Token], index: int) -> NumberMention | None:
    token = tokens[index]
    if token.text in VAGUE_QUANTITIES or (token.text == "a" and index + 1 < len(tokens) and
                                          tokens[index + 1].text in VAGUE_QUANTITIES):
        last = index + (1 if token.text == "a" else 0)
        probe = last + 1
        if probe < len(tokens) and tokens[probe].text == "of":
            probe += 1
        unit = None
        if probe < len(tokens) and UNIT_WORDS.get(tokens[probe].text):
            unit, last = UNIT_WORDS[tokens[probe].text], probe
        if unit is None:
            return None
        return _mention(lower, tokens, index, last, (0,), unit=unit, vague=True)
    end = word_run(tokens, index)
    words = [t.text for t in tokens[index:end] if t.kind == "word"]
    if token.text == "half" and end == index and index + 2 < len(tokens) and tokens[
            index + 1].text in ("a", "an") and tokens[index + 2].text in SCALES and \
            len(tokens[index + 2].text) > 1:
        scale = tokens[index + 2].text  # "half a mil"
        return _mention(lower, tokens, index, index + 2, (tidy(0.5 * SCALES[scale]),),
                        scaled=True, money_scale=scale in MONEY_SCALES, spelled=True)
    if token.text == "half" and end == index and index + 2 < len(tokens) and tokens[
            index + 1].text in ("a", "an") and UNIT_WORDS.get(tokens[index + 2].text):
        unit = UNIT_WORDS[tokens[index + 2].text]
        return _mention(lower, tokens, index, index + 2, (0.5,), unit=unit,
                        unit_word=tokens[index + 2].text, spelled=True)
    if token.text in ("a", "an"):
        # "a week", "an hour": one of the unit.
        if end == index and index + 1 < len(tokens) and UNIT_WORDS.get(tokens[index + 1].text):
            unit = UNIT_WORDS[tokens[index + 1].text]
            if unit in ("percent", "currency", "pounds", "kg", "g", "lb", "oz"):
                return None
            return _mention(lower, tokens, index, index + 1, (1,), unit=unit,
                            unit_word=tokens[index + 1].text, spelled=True)
        if end == index:
            return None
    if end == index:
        return None
    # "and a half" after the run: "two and a half", "one and a quarter".
    fraction, end = fraction_after(tokens, end)
    year = spoken_year(words)
    if year is not None:
        return _mention(lower, tokens, index, end - 1, (year,), spelled=True,
                        calendar_year=True)
    value = word_value(words)
    if value is not None:
        value += fraction
    if value is None:
        return None
    if words == ["one"] and (index + 1 >= len(tokens) or not UNIT_WORDS.get(
            tokens[index + 1].text)) and len(tokens) > 2:
        return None  # "don't have one", "the first one": a pronoun, not a count
    sign, currency, first = _sign_and_currency(tokens, index)
    unit, unit_word, scaled, money, after = _unit_after(tokens, end, currency)
    multiplier = 1
    if scaled:
        scale_index = after - 1 if unit is None or unit == currency else after - 2
        multiplier = SCALES.get(tokens[scale_index].text, 1)
    unit, unit_word, after = _percent_after(tokens, after, unit, unit_word)
    try:
        result = tidy(sign * value * multiplier)
    except ValueError:
        return None
    next_word = tokens[after].text if after < len(tokens) and tokens[after].kind == "word" \
        else None
    return _mention(lower, tokens, first, after - 1, (result,), unit=unit,
                    unit_word=unit_word, scaled=scaled, money_scale=money, spelled=True,
                    next_word=next_word)


def _mention(lower: str, tokens: list[Token], first: int, last: int,
             values: tuple[float | int, ...], **fields) -> NumberMention:
    """A number written from token `first` to token `last`."""
    start, end = tokens[first].start, tokens[last].end
    return NumberMention(start, end, lower[start:end], values, first_token=first,
                         last_token=last, **fields)


def _percent_after(tokens: list[Token], after: int, unit: str | None,
                   unit_word: str | None) -> tuple[str | None, str | None, int]:
    """A '%' right after a number that has no other unit makes it a percentage."""
    if unit is None and after < len(tokens) and tokens[after].text == "%":
        return "percent", "%", after + 1
    return unit, unit_word, after
