"""Fake but realistic personal data, derived arithmetically from a customer index.

The PII is deliberately present (names, emails, phones, addresses, free-text notes) so that
Vaultra's tests can prove Vaultra strips it. Phone numbers use the fictional 555-01xx range.
"""

from dataclasses import dataclass
from typing import Any

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Carlos", "Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley",
    "Priya", "Wei", "Fatima", "Hiroshi", "Olga", "Mateo", "Aisha", "Liam", "Sofia", "Noah",
    "Emma", "Lucas", "Chloe", "Ethan", "Zoe", "Omar", "Grace", "Ivan", "Mia", "Arjun",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Nguyen", "Patel", "Kim", "Chen", "Müller", "Rossi", "Dubois", "Novak", "Larsen",
)  # fmt: skip
STREETS = (
    "Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Washington Blvd",
    "Lake View Rd", "Hillcrest Ave", "Sunset Blvd", "Park Pl", "River Rd", "Mill St",
    "Church St", "Highland Ave", "Forest Dr", "Chestnut St", "Willow Way", "Broadway",
    "Valencia St",
)  # fmt: skip
US_CITIES = (
    ("San Francisco", "CA", "941"), ("Austin", "TX", "787"), ("Seattle", "WA", "981"),
    ("Denver", "CO", "802"), ("Chicago", "IL", "606"), ("Brooklyn", "NY", "112"),
    ("Portland", "OR", "972"), ("Atlanta", "GA", "303"), ("Boston", "MA", "021"),
    ("Miami", "FL", "331"), ("Phoenix", "AZ", "850"), ("Nashville", "TN", "372"),
    ("Columbus", "OH", "432"), ("Minneapolis", "MN", "554"), ("Raleigh", "NC", "276"),
    ("San Diego", "CA", "921"),
)  # fmt: skip
EU_CITIES = (  # city, country, postal prefix, street word, phone prefix
    ("Berlin", "DE", "101", "Straße", "+49 30 5550 1"),
    ("Paris", "FR", "750", "Rue", "+33 1 55 50 1"),
    ("Madrid", "ES", "280", "Calle", "+34 91 555 01"),
    ("Amsterdam", "NL", "101", "Straat", "+31 20 555 01"),
    ("Milan", "IT", "201", "Via", "+39 02 5550 1"),
    ("Dublin", "IE", "D02", "Street", "+353 1 555 01"),
    ("Vienna", "AT", "101", "Gasse", "+43 1 5550 1"),
)  # fmt: skip
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me", "hey.com")
NOTES = (
    "Leave at the back door",
    "Gift — please don't include the receipt",
    "Call me at {phone} if the courier can't find the building",
    "Ring twice, the doorbell is broken",
    "Please deliver to {name} at reception",
    "Birthday present, wrap if possible",
    "Send the invoice to {email}",
    "Customer asked for express handling",
    "",
)
_CARD_BIN = {"visa": "4", "mastercard": "5", "amex": "3", "discover": "6"}


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str
    phone: str
    address: dict[str, Any]
    card_brand: str
    card_country: str
    card_last4: str
    card_exp_month: int
    card_exp_year: int
    card_funding: str
    eu: bool
    billing_details: dict[str, Any]  # built once: charges share it
    shipping: dict[str, Any]


def _pick(seq: tuple[Any, ...], n: int, mult: int) -> Any:
    return seq[(n * mult) % len(seq)]


def person(index: int, salt: int, eu: bool, year: int) -> Person:
    """The customer `index` of a merchant; `salt` makes merchants' customers differ."""
    n = index * 2654435761 + salt * 40503
    first = _pick(FIRST_NAMES, n, 7)
    last = _pick(LAST_NAMES, n // 11, 13)
    email = f"{first}.{last}{n % 89}@{_pick(EMAIL_DOMAINS, n // 7, 3)}".lower().replace("ü", "u")
    number = 100 + (n // 13) % 9800
    street = _pick(STREETS, n // 17, 5)
    if eu:
        city, country, postal, word, phone_prefix = _pick(EU_CITIES, n // 19, 3)
        line1 = f"{word} {street.split()[0]} {number % 200 + 1}"
        address = {
            "city": city,
            "country": country,
            "line1": line1,
            "line2": None,
            "postal_code": f"{postal}{(n // 23) % 100:02d}",
            "state": None,
        }
        phone = f"{phone_prefix}{(n // 29) % 100:02d}"
    else:
        city, state, zip3 = _pick(US_CITIES, n // 19, 3)
        address = {
            "city": city,
            "country": "US",
            "line1": f"{number} {street}",
            "line2": f"Apt {(n // 31) % 40 + 1}" if n % 4 == 0 else None,
            "postal_code": f"{zip3}{(n // 23) % 100:02d}",
            "state": state,
        }
        area = _pick(("415", "512", "206", "303", "312", "718"), n // 37, 1)
        phone = f"+1 {area}-555-01{n % 100:02d}"
    roll = (n // 41) % 100
    brand = (
        "visa" if roll < 55 else "mastercard" if roll < 85 else "amex" if roll < 95 else "discover"
    )
    name = f"{first} {last}"
    return Person(
        name=name,
        email=email,
        phone=phone,
        address=address,
        card_brand=brand,
        card_country=address["country"],
        card_last4=f"{_CARD_BIN[brand]}{(n // 43) % 1000:03d}",
        card_exp_month=(n // 47) % 12 + 1,
        card_exp_year=year + 1 + (n // 53) % 5,
        card_funding="debit" if (n // 59) % 3 == 0 else "credit",
        eu=eu,
        billing_details={
            "address": address,
            "email": email,
            "name": name,
            "phone": phone,
            "tax_id": None,
        },
        shipping={
            "address": address,
            "carrier": None,
            "name": name,
            "phone": phone,
            "tracking_number": None,
        },
    )


def note(index: int, who: Person) -> str:
    template: str = _pick(NOTES, index, 7)
    return template.format(phone=who.phone, name=who.name, email=who.email)
