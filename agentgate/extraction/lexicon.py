"""The words the offline reader knows: units, scales, number words, dates, talk and commands.

Everything here is English and lower case. Phrases are matched on whole words.
"""

from __future__ import annotations

# Units: spelling -> canonical unit. What a unit converts to is in `units.py`.
UNIT_WORDS = {
    "year": "years", "years": "years", "yr": "years", "yrs": "years", "y": "years",
    "yearly": None,
    "month": "months", "months": "months", "mo": "months", "mos": "months",
    "mth": "months", "mths": "months",
    "week": "weeks", "weeks": "weeks", "wk": "weeks", "wks": "weeks", "fortnight": "fortnights",
    "fortnights": "fortnights",
    "day": "days", "days": "days",
    "night": "nights", "nights": "nights", "nite": "nights", "nites": "nights",
    "hour": "hours", "hours": "hours", "hr": "hours", "hrs": "hours", "h": "hours",
    "minute": "minutes", "minutes": "minutes", "min": "minutes", "mins": "minutes",
    "second": "seconds", "seconds": "seconds", "sec": "seconds", "secs": "seconds",
    "percent": "percent", "per cent": "percent", "pct": "percent", "%": "percent",
    "percentage points": "percent", "percentage": "percent",
    "kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg",
    "kilograms": "kg", "kilogramme": "kg", "kilogrammes": "kg", "k g": "kg",
    "g": "g", "gr": "g", "gram": "g", "grams": "g", "gramme": "g", "grammes": "g",
    "lb": "lb", "lbs": "lb", "oz": "oz", "ounce": "oz", "ounces": "oz",
    "dollar": "currency", "dollars": "currency", "bucks": "currency", "buck": "currency",
    "usd": "currency", "euro": "currency", "euros": "currency", "eur": "currency",
    "quid": "currency", "gbp": "currency", "yen": "currency", "cad": "currency",
    "aud": "currency", "chf": "currency", "francs": "currency",
    "pound": "pounds", "pounds": "pounds",
    "people": "people", "ppl": "people", "folks": "people", "person": "people",
    "persons": "people", "guests": "people",
    "guest": "people", "adults": "people", "adult": "people", "pax": "people",
    "of us": "people", "visitors": "people", "travellers": "people", "travelers": "people",
    "kids": "children", "children": "children", "child": "children",
    "km": "km", "kms": "km", "kilometers": "km", "kilometres": "km", "miles": "miles",
    "mile": "miles", "meters": "m", "metres": "m", "cm": "cm",
    "times": "times", "x": "times",
}
CURRENCY_SYMBOLS = {"$": "currency", "€": "currency", "£": "currency", "¥": "currency",
                    "usd": "currency", "eur": "currency", "gbp": "currency"}
# A number followed by one of these is a scaled amount ("300 grand").
SCALES = {"k": 1e3, "thousand": 1e3, "thousands": 1e3, "grand": 1e3, "thou": 1e3,
          "m": 1e6, "mn": 1e6, "mm": 1e6, "mil": 1e6, "mill": 1e6, "mio": 1e6,
          "million": 1e6, "millions": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9,
          "billions": 1e9}
# Scale words that say "an amount of money" on their own.
MONEY_SCALES = {"grand", "k", "thou"}

ONES = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
        "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
        "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
        "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
        "seventy": 70, "eighty": 80, "ninety": 90}
MULTIPLIERS = {"hundred": 100, "thousand": 1000, "million": 1_000_000,
               "billion": 1_000_000_000, "dozen": 12}
FRACTIONS = {"half": 0.5, "quarter": 0.25, "quarters": 0.25, "third": 1 / 3,
             "thirds": 1 / 3, "eighth": 0.125, "eighths": 0.125, "tenth": 0.1, "tenths": 0.1}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
            "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11,
            "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
            "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
            "twentieth": 20, "thirtieth": 30, "last": -1}
ORDINAL_COMPOUNDS = {"twenty": 20, "thirty": 30}
VAGUE_QUANTITIES = {"couple", "few", "several", "some", "many", "lots", "bunch", "handful"}

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7,
                       "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_ABBREVIATIONS = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3,
                         "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6}
HOLIDAYS = {"christmas": (12, 25), "christmas day": (12, 25), "xmas": (12, 25),
            "christmas eve": (12, 24), "boxing day": (12, 26),
            "new year's eve": (12, 31), "new years eve": (12, 31),
            "new year's day": (1, 1), "new years day": (1, 1), "new year": (1, 1),
            "valentine's day": (2, 14), "valentines day": (2, 14), "halloween": (10, 31)}

YES = {"yes", "y", "yeah", "yep", "yup", "yea", "ya", "sure", "ok", "okay", "true",
       "correct", "right", "absolutely", "definitely", "please", "affirmative", "on", "t",
       "1", "aye", "certainly", "of course", "go ahead", "do it", "yes please",
       "sounds good", "looks good", "that's right", "thats right", "please do"}
NO = {"no", "n", "nope", "nah", "false", "off", "f", "0", "negative", "not really",
      "no thanks", "no thank you", "don't", "dont", "without", "skip", "none", "never"}
NEGATIONS = {"no", "not", "without", "don't", "dont", "never", "skip", "no need",
             "doesn't", "doesnt", "isn't", "isnt", "nope", "nah", "exclude", "excluding",
             "shan't", "won't", "wont", "don't need", "dont need",
             "minus", "but no", "w/o", "leave out", "drop"}

# Whole-message talk that carries no value.
GREETINGS = ("hi", "hello", "hey", "hiya", "howdy", "yo", "greetings", "good morning",
             "good afternoon", "good evening", "morning", "evening", "hi there",
             "hello there", "hey there", "heya", "sup", "what's up", "whats up", "hola",
             "bonjour", "ciao", "happy monday", "happy tuesday", "happy wednesday",
             "happy thursday", "happy friday", "happy saturday", "happy sunday",
             "happy new year", "merry christmas", "happy holidays", "good day")
THANKS = ("thanks", "thank you", "thank u", "thanks u", "tq", "thnx", "thanx", "thx", "ty",
          "cheers", "ta", "many thanks", "great",
          "perfect", "awesome", "nice", "cool", "brilliant", "lovely", "excellent",
          "wonderful", "amazing", "good", "super", "fantastic", "thanks a lot",
          "thank you so much", "much appreciated", "appreciated", "got it", "noted")
WAITS = ("one moment", "a moment", "one sec", "a sec", "one second", "a second",
         "just a sec", "just a second", "just a moment", "hold on", "hang on", "wait",
         "give me a sec", "give me a second", "give me a minute", "give me a moment",
         "let me check", "let me think", "let me see", "let me look", "brb", "hmm",
         "hmmm", "um", "umm", "uh", "erm", "let me find out", "i need to check",
         "i'll check", "let me ask", "i'm not sure", "im not sure", "not sure",
         "i don't know", "i dont know", "dunno", "no idea", "not sure yet",
         "i'll get back to you", "thinking", "let me work it out", "minute",
         "give me", "check", "i'll find out", "one minute", "a minute")
HELP_WORDS = {"help", "max", "maximum", "highest", "largest", "biggest", "min", "minimum",
              "lowest", "smallest", "least", "allowed", "options", "choices", "choose",
              "mean", "means", "meaning", "format", "example", "examples", "accepted",
              "accept", "valid", "range", "limit", "limits", "explain", "available",
              "possible", "supported", "included", "understand", "types", "kinds", "kind",
              "offer", "know", "which", "list"}
QUESTION_STARTS = {"what", "what's", "whats", "which", "how", "why", "when", "where",
                   "who", "can", "could", "do", "does", "is", "are", "should", "may",
                   "will", "would", "did", "isn't", "aren't", "wat", "wht"}
# A question that proposes a value: "how about 10 years?", "what if the rate was 5%?"
PROPOSING_QUESTIONS = ("how about", "what about", "what if", "what would", "and for",
                       "and with",
                       "and if", "and at", "and over", "and on", "and in",
                       "how long for", "can we do", "could we do", "can i do", "could i do",
                       "can we make", "could we make", "can it be", "could it be",
                       "can you do", "could you do", "can you make", "could you make",
                       "can you try", "try", "instead", "and", "with", "or", "maybe",
                       "what for", "and what about", "ok what about", "ok and", "then", "now")
# A request worded as a question: "can i get a suite?"
REQUESTS = ("can i get", "can i have", "could i get", "could i have", "can we get",
            "can we have", "could we get", "could we have", "may i have", "can you book",
            "could you book", "can i book", "can we book", "can i add", "could i add",
            "can we add", "could we add", "can you add", "add", "i'd like", "id like", "i want",
            "we want", "we'd like", "please", "i need", "we need", "give me", "book me",
            "can you calculate", "could you calculate", "can you work out", "can you tell me",
            "could you tell me", "can you check", "how much is the")

RESET_PHRASES = ("start over", "start again", "begin again", "restart", "reset",
                 "from the top", "from scratch", "start from scratch", "new calculation",
                 "start afresh", "start a new one", "let's start again", "lets start again",
                 "start all over", "start all over again", "begin from the start",
                 "scrap that", "scrap all that", "scratch that", "clear everything",
                 "clear all", "wipe it", "forget everything", "forget all that",
                 "start fresh", "redo from scratch", "new one", "another one",
                 "do another", "let's do another", "lets do another", "new booking",
                 "new quote", "start a new", "begin over", "take it from the top",
                 "go back to the start", "back to the start", "all over again",
                 "forget that", "forget that one", "forget this", "different question",
                 "new question", "another question", "different loan", "another loan",
                 "something else", "a different one")
CANCEL_PHRASES = ("never mind", "nevermind", "nvm", "cancel", "cancel that", "cancel it",
                  "forget it", "forget about it", "stop", "quit", "exit", "abort",
                  "don't bother", "dont bother", "no longer needed", "not needed anymore",
                  "i changed my mind", "changed my mind", "leave it", "drop it",
                  "i'll leave it", "ill leave it", "not interested", "no thanks bye",
                  "bye", "goodbye", "that's all", "thats all")
RERUN_PHRASES = ("again", "run it again", "run again", "rerun", "re-run", "retry",
                 "try again", "once more", "one more time", "same again", "recalculate",
                 "redo", "do it again", "repeat", "run it once more", "refresh")
CONFIRM_PHRASES = ("yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "go ahead",
                   "do it", "run it", "confirm", "confirmed", "correct", "looks good",
                   "that's right", "thats right", "please do", "go", "proceed", "yes please",
                   "sounds good", "all good", "book it", "go for it", "right", "perfect",
                   "that's correct", "thats correct", "yes go ahead", "ok go")
DECLINE_PHRASES = ("no", "nope", "not yet", "wait", "hold on", "n", "nah", "not quite",
                   "that's wrong", "thats wrong", "wrong", "incorrect")

# Words that carry no content of their own in an answer.
FILLER = frozenset("""
a an the i i'm im i'd id i'll ill i've ive me my mine we we're were we'd we'll us our ours
you your you're it it's its that that's thats this these those is are was were be been
being am will would could should can may might must shall do does did done doing
to of in on at by for with from into onto as so and or but if then than too also just
only really very quite pretty about around roughly approximately approx circa ~ some
like want wanted wants wanna need needs needed looking look would've please pls plz
thanks thank ok okay well um uh er erm so hmm oh ah let's lets let say said think
guess reckon maybe perhaps probably mean meant actually sorry oops no yes yeah yep
make made set change changed put use using go going get got getting give given have
has had having there here what's whats how's hows it'll that'll gonna gotta kinda
sort of one ones thing things stuff bit little lot lots much many more less same
either neither both each every any all no none not don't dont isn't isnt aren't arent
now today currently right exactly precisely just about nearly almost over under
instead rather again still already yet else other another new old calculate
calculation compute work out figure find tell show know see check run answer value
values number numbers
""".split())
CORRECTION_CUES = ("actually", "sorry", "i meant", "i mean", "meant", "correction",
                   "no wait", "wait", "oops", "make that", "make it", "change", "instead",
                   "rather", "not", "no,", "scratch", "typo", "update", "switch")

# Words after a number that change what it counts: "20% down", "15 years old".
MEANING_CHANGERS = frozenset({"down", "deposit", "off", "discount", "old", "ago", "tip",
                              "fee", "fees", "tax", "more", "less", "extra", "longer",
                              "shorter", "earlier", "later", "late", "early", "behind",
                              "before", "after", "left", "remaining", "variable",
                              "younger", "older", "ahead"})
