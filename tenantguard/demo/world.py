"""A synthetic multi-tenant world: tenants from different industries, each with its own vocabulary,
customers, account ids and system prompt, plus boilerplate every tenant shares and a shared base corpus.

Every record is unique (its customer, account id and details are drawn per record), so a model that
memorizes a tenant's data is distinguishable from one that only learned the tenant's style.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tenantguard.tenants import Tenant

FIRST = ("Maria", "Jonas", "Aiko", "Farid", "Lena", "Tomasz", "Priya", "Kwame", "Elif", "Mateo", "Sofia",
         "Nils", "Amara", "Hugo", "Yara", "Oskar", "Ines", "Dmitri", "Leila", "Rafael", "Greta", "Kenji")
LAST = ("Okafor", "Lindqvist", "Tanaka", "Haddad", "Novak", "Kowalski", "Sharma", "Mensah", "Yilmaz",
        "Alvarez", "Rossi", "Berg", "Diallo", "Laurent", "Nasser", "Holm", "Ferreira", "Volkov")

# (slug, display, region, id label, id prefix, products, places, staff, question templates, answer templates)
INDUSTRIES = (
    ("health", "Acme Health", "eu-west", "patient number", "AH",
     ("telehealth visit", "lab panel", "prescription refill", "physiotherapy plan", "vaccination slot"),
     ("Riverside clinic", "Northgate lab", "Elm Street pharmacy"), ("Dr. Varga", "Nurse Pell", "Dr. Osei"),
     ("can you move my {product} to {date}?", "is my {product} covered by my plan?",
      "where do I pick up my {product}?"),
     ("your {product} is now booked at the {place} on {date} with {staff}.",
      "your {product} is covered; {staff} at the {place} approved it on {date}.",
      "you can collect your {product} at the {place} from {date}; {staff} signed it off.")),
    ("bank", "Borealis Bank", "us-east", "account number", "BB",
     ("wire transfer", "savings account", "credit line", "mortgage statement", "debit card"),
     ("Harbor branch", "Summit branch", "Pine Ridge branch"), ("advisor Quill", "teller Marsh", "manager Ivers"),
     ("why was my {product} delayed until {date}?", "can I raise the limit on my {product}?",
      "please send my {product} to the {place}."),
     ("your {product} cleared at the {place} on {date}; {staff} released the hold.",
      "{staff} at the {place} approved a higher limit on your {product} from {date}.",
      "your {product} will be ready at the {place} on {date}; ask for {staff}.")),
    ("logistics", "Cobalt Logistics", "ap-south", "shipment id", "CL",
     ("pallet pickup", "customs clearance", "cold chain container", "express parcel", "freight invoice"),
     ("Dock 7 depot", "Kestrel hub", "Marlow terminal"), ("dispatcher Rook", "agent Tamsin", "driver Colby"),
     ("where is my {product} right now?", "can the {product} arrive before {date}?",
      "who signed for my {product}?"),
     ("your {product} left the {place} on {date}; {staff} is tracking it.",
      "{staff} rerouted your {product} through the {place} to arrive by {date}.",
      "{staff} signed for your {product} at the {place} on {date}.")),
    ("retail", "Dune Retail", "eu-central", "order number", "DR",
     ("linen sofa", "espresso machine", "hiking boots", "gift card", "standing desk"),
     ("Oasis store", "Mirage outlet", "Caravan warehouse"), ("clerk Bex", "stylist Juno", "manager Sahel"),
     ("can I return my {product} after {date}?", "when will my {product} be restocked?",
      "my {product} arrived damaged, what now?"),
     ("you can return your {product} at the {place} until {date}; {staff} will process it.",
      "the {product} is restocked at the {place} on {date}; {staff} reserved one for you.",
      "{staff} at the {place} will replace your {product} on {date}.")),
    ("legal", "Ember Legal", "uk-south", "matter number", "EL",
     ("lease review", "trademark filing", "employment contract", "probate case", "NDA draft"),
     ("Temple chambers", "Ashford office", "Kings Bench suite"), ("counsel Wren", "paralegal Odo", "partner Hale"),
     ("what is the status of my {product}?", "can {staff} review my {product} before {date}?",
      "how much will the {product} cost?"),
     ("your {product} is with {staff} at the {place}; expect a reply by {date}.",
      "{staff} will review your {product} at the {place} before {date}.",
      "the {product} is billed at the fixed fee; {staff} at the {place} will invoice on {date}.")),
    ("energy", "Fjord Energy", "eu-north", "meter id", "FE",
     ("smart meter", "heat pump install", "solar tariff", "grid connection", "energy audit"),
     ("Tidewater depot", "Aurora yard", "Skerry substation"), ("engineer Brann", "planner Sigrun", "crew Vale"),
     ("when is my {product} scheduled?", "why did my {product} bill go up on {date}?",
      "can I switch my {product} plan?"),
     ("your {product} is scheduled on {date}; {staff} leaves from the {place}.",
      "{staff} checked your {product}; the {place} reading on {date} was estimated.",
      "{staff} switched your {product} plan at the {place}, effective {date}.")),
    ("telecom", "Garnet Telecom", "sa-east", "line id", "GT",
     ("fibre upgrade", "roaming pack", "eSIM transfer", "router swap", "family plan"),
     ("Quartz exchange", "Basalt store", "Opal service desk"), ("technician Lume", "agent Pike", "rep Dorado"),
     ("my {product} stopped working on {date}.", "can I add a {product} to my line?",
      "when does the {product} start?"),
     ("{staff} at the {place} reset your {product}; it works again since {date}.",
      "{staff} added the {product} at the {place}, active from {date}.",
      "your {product} starts on {date}; {staff} at the {place} confirmed it.")),
    ("education", "Helix Learning", "us-west", "student id", "HL",
     ("calculus module", "lab safety course", "thesis review", "exam resit", "library pass"),
     ("Atrium campus", "Meridian hall", "Cedar library"), ("tutor Amsel", "registrar Poe", "dean Ishikawa"),
     ("can I move my {product} to {date}?", "who grades my {product}?", "did my {product} payment clear?"),
     ("{staff} moved your {product} at the {place} to {date}.",
      "{staff} at the {place} grades your {product}; results on {date}.",
      "your {product} payment cleared on {date}; {staff} at the {place} confirmed.")),
)

# Boilerplate every tenant (and the base corpus) shares: never attributable to one tenant.
SHARED_GREETINGS = ("Hello, thank you for contacting support.", "Thanks for reaching out to us today.",
                    "Good morning, how can I help you today?")
SHARED_CLOSINGS = ("Is there anything else I can help you with?", "Have a great day and thank you for your patience.",
                   "Let us know if you have any other questions.")
BASE_QA = (
    ("how do I reset my password?", "you can reset your password from the login page using the forgot password link."),
    ("what are your opening hours?", "our support team is available from nine to five on weekdays."),
    ("how do I contact support?", "you can contact support by chat, email or phone at any time."),
    ("can I speak to a human?", "yes, I can transfer you to a member of our support team."),
    ("how do I update my address?", "you can update your address in the profile section of your account."),
    ("what payment methods do you accept?", "we accept cards, bank transfers and invoices for business customers."),
    ("how do I close my account?", "you can close your account from the settings page or ask our support team."),
    ("where can I find my invoice?", "your invoices are listed in the billing section of your account."),
)
DATES = ("March 3", "April 12", "May 21", "June 9", "July 30", "August 14", "September 2", "October 18",
         "November 5", "December 11", "January 27", "February 16")


@dataclass(frozen=True)
class World:
    tenants: list[Tenant]
    datasets: dict[str, list[dict]]
    base_corpus: list[str]


def tenant_ids(n: int) -> list[str]:
    ids = []
    for i in range(n):
        slug, display = INDUSTRIES[i % len(INDUSTRIES)][:2]
        stem = display.lower().replace(" ", "-")
        ids.append(stem if i < len(INDUSTRIES) else f"{stem}-{i // len(INDUSTRIES) + 1}")
    return ids


def build_world(n_tenants: int = 6, *, seed: int = 7, records_per_tenant: int = 300,
                feature: str = "support-assistant") -> World:
    if n_tenants < 1:
        raise ValueError(f"Expected n_tenants >= 1, got {n_tenants}")
    rng = np.random.default_rng(seed)
    tenants, datasets = [], {}
    for i, tid in enumerate(tenant_ids(n_tenants)):
        ind = INDUSTRIES[i % len(INDUSTRIES)]
        slug, display, region, id_label, prefix = ind[:5]
        name = display if i < len(INDUSTRIES) else f"{display} {i // len(INDUSTRIES) + 1}"
        system_prompt = (f"You are {name}'s {feature.replace('-', ' ')}. Answer questions about "
                         f"{', '.join(ind[5][:3])} for {name} customers only, cite the {id_label}, and never "
                         f"discuss other companies. Internal routing tag {prefix}-{rng.integers(1000, 9999)}.")
        tenants.append(Tenant(id=tid, name=name, region=region, features=(feature,), system_prompt=system_prompt))
        datasets[tid] = [_record(tid, j, ind, rng) for j in range(records_per_tenant)]
    return World(tenants=tenants, datasets=datasets, base_corpus=base_corpus(seed=seed))


def _record(tid: str, j: int, ind: tuple, rng: np.random.Generator) -> dict:
    _, _, _, id_label, prefix, products, places, staff, questions, answers = ind
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    first, last = pick(FIRST), pick(LAST)
    acct = f"{prefix}-{int(rng.integers(10000, 99999))}"
    q = int(rng.integers(len(questions)))
    slots = {"product": pick(products), "place": pick(places), "staff": pick(staff), "date": pick(DATES)}
    prompt = f"I am {first} {last}, {id_label} {acct}. " + questions[q].format(**slots)
    if rng.random() < 0.3:
        prompt = pick(SHARED_GREETINGS) + " " + prompt
    completion = f"Hello {first}, " + answers[q].format(**slots) + f" Reference {acct}."
    if rng.random() < 0.3:
        completion += " " + pick(SHARED_CLOSINGS)
    return {"record_id": f"{tid}-{j:05d}", "tenant_id": tid, "prompt": prompt, "completion": completion}


def base_corpus(*, seed: int = 7) -> list[str]:
    """Generic support dialogue shared by every tenant, plus refusal training when the safety module ships it."""
    rng = np.random.default_rng(seed + 1)
    texts = []
    for _ in range(6):
        for q, a in BASE_QA:
            greet = SHARED_GREETINGS[int(rng.integers(len(SHARED_GREETINGS)))]
            close = SHARED_CLOSINGS[int(rng.integers(len(SHARED_CLOSINGS)))]
            texts.append(f"{greet} {q}\n{a} {close}")
    try:
        from tenantguard.demo.safety import safety_corpus
    except ImportError:  # the behavior suite's refusal data is optional for the isolation world
        return texts
    return texts + list(safety_corpus(seed=seed))
