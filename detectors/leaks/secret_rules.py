"""Key formats of providers that detect-secrets has no plugin for, as data: each rule is the
prefix and alphabet the provider documents for its keys (or that its keys visibly carry), so a
match is unlikely to be anything else. `keyword` is a plain substring every match contains,
checked before the regex runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderRule:
    kind: str
    pattern: re.Pattern[str]
    keyword: str
    score: float = 0.93


def _rule(kind: str, keyword: str, pattern: str, score: float = 0.93) -> ProviderRule:
    return ProviderRule(kind, re.compile(rf"(?<![\w-]){pattern}(?![\w-])"), keyword, score)


PROVIDER_RULES: tuple[ProviderRule, ...] = (
    _rule("google", "AIza", r"AIza[0-9A-Za-z_\-]{35}"),
    _rule("google_oauth", "GOCSPX-", r"GOCSPX-[0-9A-Za-z_\-]{28}"),
    _rule("github", "github_pat_", r"github_pat_[0-9A-Za-z_]{82}"),
    _rule("anthropic", "sk-ant-", r"sk-ant-(?:api|admin)\d{2}-[0-9A-Za-z_\-]{80,100}"),
    _rule("openai", "sk-", r"sk-(?:proj|svcacct|admin)-[0-9A-Za-z_\-]{40,200}"),
    _rule("huggingface", "hf_", r"hf_[A-Za-z]{34}"),
    _rule("shopify", "shp", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"),
    _rule("digitalocean", "do", r"do[opr]_v1_[a-f0-9]{64}"),
    _rule("databricks", "dapi", r"dapi[a-f0-9]{32}(?:-\d)?"),
    _rule(
        "slack_webhook",
        "hooks.slack.com",
        r"https://hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}",
    ),  # noqa: E501
    _rule("stripe", "whsec_", r"whsec_[A-Za-z0-9]{32,}"),
    _rule("square", "sq0csp-", r"sq0csp-[0-9A-Za-z_\-]{43}"),
    _rule("square", "sq0atp-", r"sq0atp-[0-9A-Za-z_\-]{22}"),
    _rule("square", "EAAA", r"EAAA[0-9A-Za-z_\-]{60}"),
    _rule("postman", "PMAK-", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    _rule("linear", "lin_api_", r"lin_api_[A-Za-z0-9]{40}"),
    _rule("grafana", "glsa_", r"glsa_[A-Za-z0-9]{32}_[a-fA-F0-9]{8}"),
    _rule("grafana", "glc_", r"glc_[A-Za-z0-9+/]{32,400}={0,2}"),
    _rule("new_relic", "NRAK-", r"NRAK-[A-Z0-9]{27}"),
    _rule("atlassian", "ATATT3", r"ATATT3[A-Za-z0-9_\-=]{186}"),
    _rule("notion", "ntn_", r"ntn_[0-9]{11}[A-Za-z0-9]{35}"),
    _rule("vault", "hvs.", r"hvs\.[A-Za-z0-9_\-]{24,}"),
    _rule("pulumi", "pul-", r"pul-[a-f0-9]{40}"),
    _rule("terraform_cloud", ".atlasv1.", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{60,70}"),
    _rule("doppler", "dp.pt.", r"dp\.pt\.[A-Za-z0-9]{43}"),
    _rule("age", "AGE-SECRET-KEY-1", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    _rule("mapbox", "sk.eyJ", r"sk\.eyJ[A-Za-z0-9_\-]{50,}\.[A-Za-z0-9_\-]{20,}"),
    _rule("alibaba", "LTAI", r"LTAI[A-Za-z0-9]{12,20}", 0.85),
    _rule("facebook", "EAA", r"EAA[A-Za-z0-9]{100,}", 0.85),
    _rule("twitter", "AAAAAAAAAAAAAAAAAAAAA", r"A{22}[A-Za-z0-9%]{80,120}", 0.85),
    _rule("azure_ad", "Q~", r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}", 0.85),
    _rule("npm", "npm_", r"npm_[A-Za-z0-9]{36}"),
    _rule("sentry", "sntrys_", r"sntrys_eyJ[A-Za-z0-9+/=_\-]{60,}"),
    _rule("gitlab", "glptt-", r"glptt-[0-9a-f]{40}"),
    _rule("gitlab", "GR1348941", r"GR1348941[A-Za-z0-9_\-]{20}"),
)
