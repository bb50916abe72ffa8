"""Who sends what in an abuse evaluation world (benchmarks/abuse_world.py): honest users and labelled campaigns."""
from __future__ import annotations

from abuse_world import ASK, CLAUSES, FILL, MACRO, START, TENANTS, World, fill, message, pick

REPLY = {"de": "Vielen Dank, wir prüfen den Vorgang {n}.", "es": "Gracias, su cita {n} queda registrada.",
         "ja": "お問い合わせありがとうございます。番号{n}を確認します。", "fr": "Merci, votre demande {n} est enregistrée.",
         "en": "Clause {n} provides a 30-day notice period.", "pt": "Vamos por partes: primeiro isole o x na equação {n}."}
REFUSAL = {"de": "Das kann ich leider nicht tun.", "es": "Lo siento, no puedo ayudar con eso.", "ja": "申し訳ありませんが、お手伝いできません。",
           "fr": "Je suis désolé, je ne peux pas faire cela.", "en": "I'm sorry, I can't help with that.",
           "pt": "Desculpe, não posso ajudar com isso."}
FORCING = {"de": "Schreibe einen Text von mindestens {n}0 Wörtern über {o} und höre niemals auf.",
           "es": "Repite la palabra '{o}' {n}0 veces, sin resumir.", "ja": "{o}について、できるだけ長く、{n}0字以上で説明してください。",
           "fr": "Énumérez tous les nombres de 1 à {n}00, un par ligne, sans rien omettre.",
           "en": "Write the longest possible story about {o}; do not stop until you run out of tokens.",
           "pt": "Liste todos os números primos até {n}000, um por linha."}
LONG_ESSAY = "Escreva uma redação de 1500 palavras sobre {o} para a aula de amanhã."


def ordinary_users(w: World, rng, n: int, span: float) -> None:
    """Users with their own keys (a heavy tail) and each tenant's web app, one key shared by every end user."""
    pools = {t.id: ([t.key(rng) for _ in range(40)], t.key(rng), [t.session(rng) for _ in range(3000)]) for t in TENANTS}
    for _ in range(n):
        t = pick(rng, TENANTS)
        users, web, sessions = pools[t.id]
        if rng.random() < 0.4:
            key, session = web, pick(rng, sessions)
        else:
            u = int(min(rng.zipf(1.5), 40)) - 1
            key, session = users[u], f"{users[u][-6:]}-{int(rng.integers(20))}"
        text = message(rng, t.lang)
        if rng.random() < 0.25:  # retrieved context ahead of the question
            text = "\n".join(fill(rng, pick(rng, ASK[t.lang]), t.lang) for _ in range(3)) + f"\n\n{text}"
        ts = START + rng.random() * span
        params = {"max_tokens": int(pick(rng, (256, 512, 1024))), "temperature": round(float(rng.random()), 2)}
        tokens = int(max(5, rng.lognormal(4.6, 0.6)))
        for k in range(1 + (rng.random() < 0.03) * int(rng.integers(1, 3))):  # client retries resend the same request
            w.add(ts + 3 * k, t, key, session, text, fill(rng, REPLY[t.lang], t.lang), params=params, completion_tokens=tokens)
        w.benign_kinds.setdefault(f"{t.id}/{key}", "web app key" if key == web else "user")


def honest_heavy_hitters(w: World, rng, span: float) -> None:
    de, es, ja, fr, en, pt = TENANTS
    for t in TENANTS:  # one heavy but natural user per tenant
        _spread(w, rng, t, t.key(rng), "heavy user", 2500, START, span,
                lambda: message(rng, t.lang), {"max_tokens": 512, "temperature": 0.7})
    t0 = START + 0.05 * span
    _spread(w, rng, de, "nwv_batch_claims_nightly", "templated batch job", 3000, t0, 7200,
            lambda: "Extrahiere Schadennummer, Datum und Betrag aus folgender Meldung:\n"
                    + " ".join(message(rng, "de") for _ in range(int(rng.integers(2, 5)))),
            {"max_tokens": 200, "temperature": 0})
    _spread(w, rng, fr, fr.key(rng), "classification batch job", 2000, t0, 5400,
            lambda: f"Classez ce message client : réclamation, question ou compliment. Message : {message(rng, 'fr')}",
            {"max_tokens": 5, "temperature": 0}, completion=lambda: pick(rng, ("réclamation", "question", "compliment")))
    _spread(w, rng, en, en.key(rng), "logprobs classifier job", 1500, START + 0.4 * span, 3600,
            lambda: "Does the following clause contain an indemnity? Answer Yes or No.\nClause: "
                    + fill(rng, pick(rng, CLAUSES), "en"),
            {"max_tokens": 1, "temperature": 0, "logprobs": True, "top_logprobs": 2},
            completion=lambda: pick(rng, ("Yes", "No")), tokens=lambda: 1)
    _spread(w, rng, en, en.key(rng), "long-document user", 300, START, span,
            lambda: "Review this contract and list the risks:\n" + "".join(
                fill(rng, pick(rng, CLAUSES), "en") for _ in range(int(rng.integers(10, 60)))),
            {"max_tokens": 2048, "temperature": 0.2}, tokens=lambda: int(rng.integers(400, 900)))
    agents = [en.key(rng) for _ in range(12)]
    for i in range(400):  # support agents paste one macro, each for another customer
        key = agents[i % 12]
        w.add(START + rng.random() * span, en, key, en.session(rng), fill(rng, MACRO, "en"),
              "Dear customer, we apologise for the delay...", params={"max_tokens": 400})
        w.benign_kinds[f"{en.id}/{key}"] = "support agent pasting a macro"
    _spread(w, rng, pt, pt.key(rng), "report service", 400, START, span,
            lambda: f"Gere o relatório semanal da turma {int(rng.integers(1, 40))} com estas notas: "
                    + ", ".join(str(int(x)) for x in rng.integers(0, 10, 30)),
            {"max_tokens": 2048, "temperature": 0.3}, tokens=lambda: int(rng.integers(1200, 1900)))
    for _ in range(200):  # students asking for long essays now and then
        key = pt.key(rng)
        w.add(START + rng.random() * span, pt, key, pt.session(rng), fill(rng, LONG_ESSAY, "pt"), "Introdução: ...",
              params={"max_tokens": 4096}, completion_tokens=int(rng.integers(1500, 2600)))
        w.benign_kinds[f"{pt.id}/{key}"] = "student asking for an essay"


def _spread(w, rng, t, key, kind, n, t0, span, text, params, *, completion=None, tokens=None) -> None:
    session = t.session(rng)
    for i in range(n):
        if i % 200 == 0:
            session = t.session(rng)
        w.add(t0 + rng.random() * span, t, key, session, text(), completion() if completion else fill(rng, REPLY[t.lang], t.lang),
              params=dict(params), completion_tokens=tokens() if tokens else int(max(5, rng.lognormal(4.6, 0.5))))
    w.benign_kinds[f"{t.id}/{key}"] = kind


def _record(w, name, kind, variant, pairs):
    w.campaigns[name] = {"kind": kind, "variant": variant, "tenants": sorted({t for t, _, _ in pairs}),
                         "keys": sorted({f"{t}/{k}" for t, k, _ in pairs}), "sessions": sorted({s for _, _, s in pairs})}


def injection(w, rng, name, t0, j, *, injections, jailbreaks) -> None:
    payload = pick(rng, injections)
    tenants = [TENANTS[int(i)] for i in rng.choice(len(TENANTS), int(rng.integers(2, 5)), replace=False)]
    keys = [(t, t.key(rng)) for t in tenants for _ in range(int(rng.integers(1, 3)))]
    pairs = []
    for i in range(int(rng.integers(20, 60))):
        t, key = keys[i % len(keys)]
        session = t.session(rng)
        text = pick(rng, ("", "Please help. ", "URGENT ", f"ref {int(rng.integers(1000, 9999))}: ")) + payload
        if j % 2:  # indirect: the payload rides in a document the user asks about
            text = f"Document:\n{fill(rng, pick(rng, ASK[t.lang]), t.lang)}\n{text}\n\n{fill(rng, pick(rng, ASK[t.lang]), t.lang)}"
        w.add(t0 + rng.random() * 7200, t, key, session, text, REFUSAL[t.lang], params={"max_tokens": 512}, label=name)
        pairs.append((t.id, key, session))
    _record(w, name, "injection_campaign", "indirect" if j % 2 else "direct", pairs)


def extraction(w, rng, name, t0, j, *, injections, jailbreaks) -> None:
    t = pick(rng, TENANTS)
    key, variant = t.key(rng), ("plain", "logprobs", "logit_bias")[j % 3]
    seeds = [fill(rng, pick(rng, ASK[t.lang]), t.lang) for _ in range(12)]
    vocab = sorted({v for vs in FILL[t.lang].values() for v in vs} | {str(x) for x in rng.integers(0, 10**5, 50)})
    pairs, n = [], int(rng.integers(600, 1500))
    for i in range(n):
        session = t.session(rng) if i % 100 == 0 else session
        if variant == "logit_bias":  # a grid: a few fixed prompts x a sweep of biased token ids
            text, params = seeds[i % 6], {"logit_bias": {str(1000 + i // 6): 100}, "max_tokens": 1}
        else:
            spaced = t.lang != "ja"  # Japanese is perturbed character by character
            words = pick(rng, seeds).split() if spaced else list(pick(rng, seeds))
            for _ in range(int(rng.integers(1, 4))):
                words[int(rng.integers(len(words)))] = pick(rng, vocab) if spaced else pick(rng, "のをにがはでとも荷物配達")
            text = (" " if spaced else "").join(words)
            params = ({"max_tokens": 64, "temperature": 0} if variant == "plain"
                      else {"logprobs": True, "top_logprobs": 20, "max_tokens": 1, "temperature": 0})
        w.add(t0 + i * float(rng.uniform(2, 12)), t, key, session, text, fill(rng, REPLY[t.lang], t.lang), params=params,
              completion_tokens=1 if variant != "plain" else None, label=name)
        pairs.append((t.id, key, session))
    _record(w, name, "model_extraction", variant, pairs)


def token_budget(w, rng, name, t0, j, *, injections, jailbreaks) -> None:
    t = pick(rng, TENANTS)
    key, session = t.key(rng), t.session(rng)
    n, span = int(rng.integers(120, 300)), float(rng.uniform(1800, 9000))
    for i in range(n):
        lang = t.lang if rng.random() < 0.7 else "en"
        w.add(t0 + rng.random() * span, t, key, session, fill(rng, FORCING[lang], lang), "1, 2, 3, ...",
              params={"max_tokens": 8192}, completion_tokens=int(8192 * rng.uniform(0.85, 1.0)), label=name)
    _record(w, name, "token_budget", "slow" if n / span < 0.05 else "fast", [(t.id, key, session)])


def jailbreak(w, rng, name, t0, j, *, injections, jailbreaks) -> None:
    t = pick(rng, TENANTS)
    keys, session = [t.key(rng) for _ in range(1 + (j % 2) * 2)], t.session(rng)
    pairs, n = [], int(min(len(jailbreaks), rng.integers(10, 25)))
    for i, k in enumerate(rng.choice(len(jailbreaks), n, replace=False)):
        key = keys[i % len(keys)]
        refusal = REFUSAL[t.lang if rng.random() < 0.4 else "en"] if rng.random() < 0.9 else "Sure, here is..."
        w.add(t0 + i * float(rng.uniform(20, 120)), t, key, session, jailbreaks[int(k)], refusal,
              params={"max_tokens": 1024}, label=name)
        pairs.append((t.id, key, session))
    _record(w, name, "jailbreak_sweep", "rotating keys" if len(keys) > 1 else "one key", pairs)


CAMPAIGNS = {"injection_campaign": injection, "model_extraction": extraction, "token_budget": token_budget,
             "jailbreak_sweep": jailbreak}
