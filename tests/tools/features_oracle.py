#!/usr/bin/python3
"""An independent implementation of a subset of the v2 features, straight from the raw CSVs,
used by tests/test_features.c as the oracle for real player-games.

usage: features_oracle.py DATA_DIR PLAYER_ID DATE [PLAYER_ID DATE ...]
Prints one line per player-game: PLAYER_ID DATE name=value ... (NaN for missing).
Definitions follow docs/DATA.md and ORIGINAL-SYSTEM.md section 4.1 as swish applies them:
strictly games before DATE; 'played' = MIN > 0 or PTS > 0; this-season windows by the game's
season (October-December: that year, else the year before).
"""
import csv
import datetime
import math
import statistics
import sys
from collections import defaultdict


def season_of(d):
    return d.year if d.month >= 10 else d.year - 1


def main():
    data = sys.argv[1]
    pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
    prows = defaultdict(list)
    with open(data + "/player_game_logs.csv") as fp:
        for r in csv.DictReader(fp):
            r["d"] = datetime.date.fromisoformat(r["GAME_DATE"])
            r["min"] = float(r["MIN"] or 0)
            r["pts"] = int(r["PTS"])
            r["played"] = r["min"] > 0 or r["pts"] > 0
            prows[r["PLAYER_ID"]].append(r)
    for p in prows:
        prows[p].sort(key=lambda r: (r["d"], r["GAME_ID"]))
    trows = defaultdict(list)
    games = {}
    with open(data + "/team_game_logs.csv") as fp:
        for r in csv.DictReader(fp):
            r["d"] = datetime.date.fromisoformat(r["GAME_DATE"])
            r["poss"] = int(r["FGA"]) + 0.44 * int(r["FTA"]) + int(r["TOV"]) - int(r["OREB"])
            r["min"] = float(r["MIN"] or 240)
            trows[r["TEAM_ABBREVIATION"]].append(r)
            games.setdefault(r["GAME_ID"], {})[r["TEAM_ABBREVIATION"]] = r
    for t in trows:
        trows[t].sort(key=lambda r: (r["d"], r["GAME_ID"]))
    props = defaultdict(list)
    try:
        with open(data + "/prop_lines.csv") as fp:
            for r in csv.DictReader(fp):
                if r["PLAYER_ID"]:
                    props[(r["GAME_ID"], r["PLAYER_ID"])].append(r)
    except FileNotFoundError:
        pass
    books = ["draftkings", "fanduel", "betmgm", "williamhill_us", "fanatics", "betrivers", "bovada", "betonlineag"]

    for pid, ds in pairs:
        D = datetime.date.fromisoformat(ds)
        rs = prows[pid]
        target = [r for r in rs if r["d"] == D]
        before = [r for r in rs if r["d"] < D]
        me = target[0] if target else None
        season = season_of(D)
        played = [r for r in reversed(before) if r["played"]]
        this = [r for r in played if season_of(r["d"]) == season]
        out = {}
        l5, l10 = this[:5], this[:10]
        out["points_avg_last_5"] = statistics.fmean(r["pts"] for r in l5) if l5 else 10.0
        out["points_avg_last_10"] = statistics.fmean(r["pts"] for r in l10) if l10 else 10.0
        out["points_avg_season"] = statistics.fmean(r["pts"] for r in this) if this else 10.0
        out["points_std_last_10"] = statistics.stdev([r["pts"] for r in l10]) if len(l10) >= 2 else 5.0
        out["games_in_last_7_days"] = sum(1 for r in played if (D - r["d"]).days < 7) if before else 3.0
        rest = (D - played[0]["d"]).days if played else 3
        out["back_to_back"] = 1.0 if played and rest == 1 else 0.0
        last10 = played[:10]
        out["minutes_avg_last_10"] = statistics.fmean(r["min"] for r in last10) if last10 else 28.0
        ppm = [r["pts"] / r["min"] for r in last10 if r["min"] > 0]
        out["ppm_avg_last_10"] = statistics.fmean(ppm) if ppm else 0.4
        if len(l10) >= 5 and sum(r["pts"] for r in l10) > 0:
            out["pct_free_throw"] = min(0.5, max(0.0, sum(int(r["FTM"]) for r in l10) / sum(r["pts"] for r in l10)))
        else:
            out["pct_free_throw"] = 0.15
        box = list(reversed(before))[:10]
        out["dnp_rate"] = sum(1 for r in box if not r["played"]) / len(box) if len(box) >= 3 else 0.0
        if len(this) >= 5:
            diff = (this[0]["pts"] + this[1]["pts"]) / 2 - (this[2]["pts"] + this[3]["pts"] + this[4]["pts"]) / 3
            out["recent_trend"] = 2.0 if diff >= 5 else 1.0 if diff >= 2 else -2.0 if diff <= -5 else -1.0 if diff <= -2 else 0.0
        else:
            out["recent_trend"] = 0.0
        if me:
            opp, team, gid = me["OPP_TEAM_ABBREVIATION"], me["TEAM_ABBREVIATION"], me["GAME_ID"]
            vs = [r for r in played if r["OPP_TEAM_ABBREVIATION"] == opp and (D - r["d"]).days <= 1096]
            out["games_vs_opponent"] = float(len(vs)) if before else 0.0
            if vs:
                out["avg_points_vs_opponent"] = statistics.fmean(r["pts"] for r in vs)
            elif this:
                out["avg_points_vs_opponent"] = out["points_avg_season"]
            else:
                out["avg_points_vs_opponent"] = 10.0
            tt = [r for r in reversed(trows[team]) if r["d"] < D and season_of(r["d"]) == season]
            out["team_win_pct"] = sum(1 for r in tt if int(r["PTS"]) > int(r["OPP_PTS"])) / len(tt) if len(tt) >= 5 else 0.5
            t10 = [r for r in tt if r["poss"] > 0][:10]
            out["team_pace"] = statistics.fmean(r["poss"] * 48 / (r["min"] / 5) for r in t10) if t10 else 100.0
            ot = [r for r in reversed(trows[opp]) if r["d"] < D and season_of(r["d"]) == season]
            ratings = []
            for r in ot:
                other = [v for k, v in games[r["GAME_ID"]].items() if k != opp]
                if other and other[0]["poss"] > 0:
                    ratings.append(100 * int(r["OPP_PTS"]) / other[0]["poss"])
                if len(ratings) == 15:
                    break
            out["opponent_def_rating"] = statistics.fmean(ratings) if ratings else 112.0
            line = math.nan
            quotes = props.get((gid, pid), [])
            for b in books + sorted({q["BOOK"] for q in quotes}):
                qs = [q for q in quotes if q["BOOK"] == b and q["SNAPSHOT_TIME"] < q.get("COMMENCE_TIME_UTC", "9")]
                if qs:
                    latest = max(q["SNAPSHOT_TIME"] for q in qs)
                    line = float([q for q in qs if q["SNAPSHOT_TIME"] == latest][0]["LINE"])
                    break
            out["vegas_points_line"] = line
            out["has_vegas_line"] = 0.0 if math.isnan(line) else 1.0
        print(pid, ds, " ".join("%s=%.9g" % (k, v) for k, v in sorted(out.items())))


if __name__ == "__main__":
    main()
