"""Words that mean the same thing, in English and Japanese, as one shared token.

"virus", "trojan", "ウイルス" and "不正プログラム" all say <malware>; "quarantined", "blocked",
"隔離" say <blocked>. Each concept found adds its token, so a Japanese message also finds the
English examples that say the same thing (and the other way round), and a word that no example
happens to use still counts through its concept. Matched on normal, case-folded text; English
entries are word beginnings ("infect" finds "infected", "infection"); an entry starting "re:"
is a regular expression.
"""

from __future__ import annotations

import functools
import re

# concept: (English word beginnings, Japanese substrings)
CONCEPTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "malware": (("virus", "malware", "trojan", "worm", "ransom", "backdoor", "spyware",
                 "cryptominer", "coinminer", "miner", "emotet", "rootkit", "botnet", "troj_",
                 "bkdr_", "hacktool"),
                ("ウイルス", "ウィルス", "マルウェア", "不正プログラム", "トロイ", "ワーム",
                 "ランサム", "バックドア", "スパイウェア", "マイナー", "ハッキングツール")),
    "infect": (("infect", "compromis", "outbreak", "spreading", "hacked", "breach", "c&c",
                "beacon", "attacker", "intrusion"),
               ("感染", "乗っ取", "改ざん", "侵入", "拡散", "踏み台", "被害", "駆除")),
    "spam": (("spam", "junk", "phish", "scam", "unsolicited", "bulk mail", "sextortion",
              "spoof"),
             ("迷惑メール", "スパム", "フィッシング", "詐欺", "なりすまし", "広告メール")),
    "mail": (("mail", "email", "e-mail", "inbox", "sender", "newsletter", "message"),
             ("メール", "受信", "送信者", "送信元", "メルマガ")),
    "blocked": (("quarantin", "block", "strip", "delet", "reject", "remov"),
                ("隔離", "ブロック", "削除", "拒否", "遮断", "閲覧できません")),
    "wrong": (("false positive", "false alarm", "false detection", "wrong", "incorrect",
               "mistak", "by mistake", "misdetect", "mis-detect", "not malware", "not a virus"),
              ("誤検知", "誤検出", "誤判定", "誤って", "間違", "誤り")),
    "legit": (("legit", "genuine", "harmless", "trusted", "valid", "clean file", "is clean",
               "are clean", "signed"),
              ("正規", "正常な", "安全な", "問題のない", "問題ない", "正当")),
    "own": (("our own", "in-house", "in house", "internal", "we developed", "we wrote",
             "our app", "our tool", "our software", "our program"),
            ("自社", "社内で", "弊社の", "自作", "社内開発")),
    "file": (("file", "exe", "dll", "attachment", "binary", "script", "macro", "document",
              "zip", "archive", "apk"),
             ("ファイル", "添付", "実行ファイル", "スクリプト", "マクロ", "zip", "文書")),
    "sample": (("sample", "analy", "investigat", "suspicious", "suspect", "undetected",
                "not detected", "hash", "sha256", "virustotal", "sandbox"),
               ("検体", "解析", "調査", "不審", "怪しい", "検出されない", "未検出", "ハッシュ")),
    "site": (("website", "site", "url", "domain", "web page", "webpage", "homepage", "link",
              "portal"),
             ("サイト", "url", "re:ドメイン(?!コントローラ)", "ホームページ", "webページ",
              "リンク", "ページ")),
    "rating": (("categor", "classif", "reclassif", "rating", "rated", "rate ", "reputation",
                "recategor"),
               ("カテゴリ", "分類", "評価", "レピュテーション", "判定されて")),
    "license": (("licens", "licenc", "activat", "serial", "subscription", "renew", "seat",
                 "expir", "registration", "register", "trial", "evaluation version", "ac code",
                 "activation code"),
                ("ライセンス", "アクティベーション", "シリアル", "契約", "有効期限", "期限切れ",
                 "登録", "シート", "体験版", "評価版", "保守")),
    "change": (("change window", "maintenance", "planned", "scheduled", "change request",
                "change control", "cab ", "standby", "stand by", "on call", "outage"),
               ("作業", "メンテナンス", "計画", "予定", "変更管理", "待機", "立ち会い",
                "停止予定")),
    "error": (("error", "fail", "crash", "stop", "not working", "offline", "slow", "hang",
               "freez", "timeout", "time out", "cannot", "can't", "unable", "won't", "broken",
               "exception", "not start", "does not", "doesn't"),
              ("エラー", "失敗", "停止", "起動しません", "オフライン", "遅", "重い", "できません",
               "動作しません", "表示されません", "止まっ", "落ち", "できない", "されません")),
    "product_part": (("agent", "client", "console", "server", "endpoint", "manager", "service",
                      "appliance", "relay", "module", "engine"),
                     ("エージェント", "クライアント", "コンソール", "サーバ", "管理画面",
                      "サービス", "アプライアンス", "エンジン", "モジュール")),
    "update": (("update", "pattern", "upgrad", "patch", "hotfix", "version"),
               ("アップデート", "パターン", "更新", "バージョン", "アップグレード", "パッチ")),
    "install": (("install", "uninstall", "setup", "deploy"),
                ("インストール", "展開", "セットアップ")),
    "setting": (("setting", "configur", "policy", "exclusion", "exclude", "allowlist"),
                ("設定", "ポリシー", "除外")),
}


@functools.cache
def _pattern() -> re.Pattern[str]:
    """One pattern, a named group per concept (one pass over the text, not one per concept);
    longer words first, so "activation code" is one mention."""
    def alternatives(words: tuple[str, ...]) -> str:
        return "|".join(w[3:] if w.startswith("re:") else re.escape(w)
                        for w in sorted(words, key=len, reverse=True))

    return re.compile("|".join(
        rf"(?P<{concept}>(?<![a-z0-9])(?:{alternatives(english)})|{alternatives(japanese)})"
        for concept, (english, japanese) in CONCEPTS.items()))


def concepts(low: str) -> list[str]:
    """A concept token for every concept word found in `low` (normal, case-folded text)."""
    return [f"<{m.lastgroup}>" for m in _pattern().finditer(low)]
