"""A small, self-contained synthetic scenario for the engine's tests (not the bench data).

Families with one to three children; some children are registered, some sought by an
inquiry that seeks all missing siblings together, some sought but never registered.
Noise: typos, romanisation variants, Arabic script, missing family names for small
children, nickname only, estimated ages, moved separation points, sex errors.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

GIVEN_M = [
    ["Mohammed", "Muhammad", "Mohamed", "محمد"],
    ["Ahmed", "Ahmad", "أحمد"],
    ["Osman", "Othman", "عثمان"],
    ["Ibrahim", "Ebrahim"],
    ["Yousif", "Yusuf", "Yousef"],
    ["Abdel Rahman", "Abdulrahman", "Abdelrahman"],
    ["Hassan", "Hasan"],
    ["Adam"],
    ["Ishag", "Ishaq"],
    ["Haggar", "Hajjar"],
    ["Babiker"],
    ["Omer", "Omar"],
    ["Khalid", "Khaled"],
    ["Salih", "Saleh"],
    ["Musa", "Mousa"],
    ["Idris", "Idriss"],
]
GIVEN_F = [
    ["Fatima", "Fatma", "فاطمة"],
    ["Aisha", "Aicha", "Aysha"],
    ["Mariam", "Maryam"],
    ["Zainab", "Zeinab"],
    ["Halima", "Haleema"],
    ["Amina", "Aminah"],
    ["Khadija", "Khadiga"],
    ["Hawa", "Hawaa"],
    ["Asha"],
    ["Nafisa", "Nafeesa"],
    ["Sara", "Sarah"],
    ["Rahma", "Rahmah"],
]
FAMILY = [
    ["Ali"],
    ["Osman", "Othman"],
    ["Abdallah", "Abdullah"],
    ["Ahmed", "Ahmad"],
    ["Hamid", "Hamed"],
    ["Bashir", "Basheer"],
    ["Yagoub", "Yaqub"],
    ["Adam"],
    ["Nur el Din", "Nureldin"],
    ["Suleiman", "Sulaiman"],
    ["Tayeb"],
    ["Haroun", "Harun"],
    ["Ismail", "Ismael"],
    ["Jaafar", "Gaafar"],
    ["Mubarak"],
    ["Awad"],
    ["Idris"],
    ["Babiker"],
    ["Hussein", "Husain"],
    ["Daoud", "Dawood"],
]
NICK = {"Mohammed": "Hamouda", "Muhammad": "Hamouda"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _zipf(rng: random.Random, items: list[list[str]], s: float = 1.1) -> list[str]:
    weights = [1.0 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4 or not name.isascii():
        return name
    i = rng.randrange(1, len(name) - 1)
    op = rng.randrange(4)
    if op == 0:
        return name[:i] + name[i + 1 :]
    if op == 1:
        return name[:i] + name[i] + name[i:]
    if op == 2:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + rng.choice(LETTERS) + name[i + 1 :]


def _spell(rng: random.Random, variants: list[str], p_typo: float = 0.12) -> str:
    latin = [v for v in variants if v.isascii()]
    v = rng.choice(variants) if rng.random() < 0.35 else latin[0]
    if rng.random() < p_typo:
        v = _typo(rng, v)
    return v.upper() if rng.random() < 0.05 else v


@dataclass
class Scenario:
    children: pd.DataFrame
    requests: pd.DataFrame
    truth: dict[str, str]  # request ref -> child ref (registered ones)
    family_of_child: dict[str, int]
    family_of_request: dict[str, int]


def make(n_families: int = 600, seed: int = 0, p_registered: float = 0.75) -> Scenario:
    rng = random.Random(seed)
    kids: list[dict[str, object]] = []
    reqs: list[dict[str, object]] = []
    truth: dict[str, str] = {}
    fam_c: dict[str, int] = {}
    fam_r: dict[str, int] = {}
    for fam in range(n_families):
        family = _zipf(rng, FAMILY)
        father_given = _zipf(rng, GIVEN_M)
        mother_given = _zipf(rng, GIVEN_F)
        mother_family = _zipf(rng, FAMILY)
        lat = 12.0 + rng.uniform(-2, 2)
        lon = 24.0 + rng.uniform(-2, 2)
        sep_day = rng.randrange(1, 28)
        n_kids = rng.choice([1, 1, 2, 2, 3])
        inquiry = f"INQ-{fam:05d}"
        used: set[str] = set()
        for k in range(n_kids):
            sex = rng.choice(["male", "female"])
            while True:
                given = _zipf(rng, GIVEN_M if sex == "male" else GIVEN_F)
                if given[0] not in used:
                    used.add(given[0])
                    break
            age = rng.randrange(1, 16)
            registered = rng.random() < p_registered
            sought = rng.random() < 0.7 or not registered
            cref = f"C{fam:05d}{k}"
            rref = f"R{fam:05d}{k}"
            if registered:
                small = age < 6
                gname = _spell(rng, given)
                if small and rng.random() < 0.2 and given[0] in NICK:
                    gname = NICK[given[0]]
                kids.append(
                    {
                        "ref": cref,
                        "given_name": gname,
                        "family_name": "" if small and rng.random() < 0.5 else _spell(rng, family),
                        "other_names": _spell(rng, father_given) if rng.random() < 0.4 else "",
                        "sex": sex
                        if rng.random() > 0.03
                        else ("female" if sex == "male" else "male"),
                        "age": str(
                            max(0, age + rng.choice([-1, 0, 0, 1] if small else [-2, -1, 0, 1, 2]))
                        ),
                        "date_of_birth": "",
                        "separation_date": f"2024-03-{min(28, sep_day + rng.randrange(3)):02d}",
                        "separation_place": "",
                        "separation_lat": ""
                        if small and rng.random() < 0.5
                        else f"{lat + rng.gauss(0, 0.1):.4f}",
                        "separation_lon": ""
                        if small and rng.random() < 0.5
                        else f"{lon + rng.gauss(0, 0.1):.4f}",
                        "mother_name": ""
                        if small and rng.random() < 0.6
                        else f"{_spell(rng, mother_given)} {_spell(rng, mother_family)}",
                        "father_name": ""
                        if small and rng.random() < 0.6
                        else f"{_spell(rng, father_given)} {_spell(rng, family)}",
                        "language": "Arabic",
                        "registration_date": "2024-05-01",
                    }
                )
                fam_c[cref] = fam
            if sought:
                reqs.append(
                    {
                        "ref": rref,
                        "inquiry_ref": inquiry,
                        "inquirer_name": _spell(rng, mother_given)
                        + " "
                        + _spell(rng, mother_family),
                        "inquirer_relationship": "mother",
                        "given_name": _spell(rng, given),
                        "family_name": _spell(rng, family),
                        "other_names": "",
                        "sex": sex,
                        "age": str(age),
                        "date_of_birth": "",
                        "separation_date": f"2024-03-{sep_day:02d}",
                        "separation_place": "",
                        "separation_lat": f"{lat:.4f}",
                        "separation_lon": f"{lon:.4f}",
                        "mother_name": "",
                        "father_name": f"{_spell(rng, father_given)} {_spell(rng, family)}",
                        "language": "Arabic",
                        "request_date": "2024-05-10",
                    }
                )
                fam_r[rref] = fam
                if registered:
                    truth[rref] = cref
    return Scenario(pd.DataFrame(kids), pd.DataFrame(reqs), truth, fam_c, fam_r)
