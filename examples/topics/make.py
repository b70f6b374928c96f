#!/usr/bin/env python3
"""Writes the small example data set shipped with lstmctl (fastText lines).

Four topics (food, sports, tech, weather), sentences built from hand-written
templates and word lists with a fixed seed, so `make example` trains in
seconds and reaches high accuracy. Re-run to regenerate: python3 make.py
"""
import random

WORDS = {
    "food": ["pasta", "soup", "bread", "pizza", "salad", "curry", "cake", "noodles", "cheese", "coffee",
             "recipe", "oven", "garlic", "dinner", "breakfast", "dessert", "chef", "kitchen", "spicy", "sauce"],
    "sports": ["football", "tennis", "match", "goal", "team", "coach", "league", "season", "referee", "stadium",
               "marathon", "player", "score", "tournament", "cup", "race", "striker", "penalty", "final", "fans"],
    "tech": ["laptop", "software", "phone", "battery", "update", "server", "keyboard", "app", "screen", "chip",
             "network", "browser", "code", "cloud", "printer", "router", "compiler", "database", "linux", "camera"],
    "weather": ["rain", "snow", "storm", "wind", "sunshine", "fog", "forecast", "thunder", "cloudy", "humid",
                "frost", "heatwave", "drizzle", "temperature", "umbrella", "hail", "breeze", "flood", "degrees", "sky"],
}
TEMPLATES = [
    "the {a} was great and the {b} too",
    "i think the {a} needs a better {b}",
    "have you seen the new {a} ?",
    "my {a} and the {b} were terrible today",
    "what do you know about {a} and {b} ?",
    "yesterday the {a} made everyone talk about the {b}",
    "is the {a} really worth it",
    "nobody expected such a {a} this week",
    "the {a} , the {b} and the {c} : what a day !",
    "tell me more about that {a}",
    "we argued about the {a} for hours",
    "her {a} beat my {b} easily",
]

def main():
    rng = random.Random(7)
    lines = []
    for label, words in WORDS.items():
        for _ in range(60):
            t = rng.choice(TEMPLATES)
            a, b, c = rng.sample(words, 3)
            lines.append(f"__label__{label} " + t.format(a=a, b=b, c=c))
    rng.shuffle(lines)
    with open("train.txt", "w") as f:
        f.write("\n".join(lines[:200]) + "\n")
    with open("test.txt", "w") as f:
        f.write("\n".join(lines[200:]) + "\n")
    with open("unlabelled.txt", "w") as f:
        f.write("the striker scored a late goal in the final\n"
                "\n"
                "my laptop battery died after the update\n"
                "heavy rain and strong wind tonight , take an umbrella\n"
                "this curry needs more garlic\n")

main()
