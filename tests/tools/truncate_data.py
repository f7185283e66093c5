#!/usr/bin/python3
"""Copy a data directory keeping only what is known before DATE (for the leakage test):
box scores, team logs and shot zones of games before DATE; prop lines of games up to DATE
(pre-game snapshots are allowed); game odds up to DATE (pre-game lines); schedule.csv = the games
on DATE.
usage: truncate_data.py DATA_DIR OUT_DIR DATE"""
import csv
import os
import sys


def main():
    src, out, day = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    rules = {"player_game_logs.csv": "<", "team_game_logs.csv": "<", "player_shot_zones.csv": "<",
             "prop_lines.csv": "<=", "game_odds.csv": "<="}
    for name, op in rules.items():
        path = os.path.join(src, name)
        if not os.path.exists(path):
            continue
        with open(path, newline="") as fi, open(os.path.join(out, name), "w", newline="") as fo:
            r = csv.reader(fi)
            w = csv.writer(fo, lineterminator="\n")
            header = next(r)
            w.writerow(header)
            k = header.index("GAME_DATE")
            for row in r:
                if (row[k] < day) if op == "<" else (row[k] <= day):
                    w.writerow(row)
    games = {}
    with open(os.path.join(src, "team_game_logs.csv"), newline="") as fi:
        for row in csv.DictReader(fi):
            if row["GAME_DATE"] == day:
                g = games.setdefault(row["GAME_ID"], {})
                g["HOME" if row["HOME"] == "1" else "AWAY"] = row["TEAM_ABBREVIATION"]
    with open(os.path.join(out, "schedule.csv"), "w", newline="") as fo:
        w = csv.writer(fo, lineterminator="\n")
        w.writerow(["GAME_DATE", "GAME_ID", "HOME_TEAM", "AWAY_TEAM"])
        for gid, g in sorted(games.items()):
            w.writerow([day, gid, g["HOME"], g["AWAY"]])


if __name__ == "__main__":
    main()
