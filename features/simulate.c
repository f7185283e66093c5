/* simulate: a synthetic NBA league written as a swish data directory.
 *
 * features/simulate plays a synthetic league game by game from latent player and team
 * parameters and writes a data directory in the schema of docs/DATA.md, so the engine
 * can be demonstrated, tested and benchmarked on complete, consistent data of any size
 * (the real sample is partial and may not be shipped). One season takes about 0.13 s.
 *
 * The model:
 *
 * - League: the 30 NBA teams (real codes, TEAM_IDs, conferences, divisions, time
 *   zones), 15 rostered players each. A team has a pace (possessions per 48 minutes,
 *   N(101.5, 2)), an offence offset added to its field-goal percentages (sd 0.016), a
 *   defence offset added to its opponents' (sd 0.022, plus sd 0.01 per shot zone) and
 *   a turnover-forcing offset (sd 0.01). Home teams shoot +0.0075, visitors -0.0075.
 * - Players: position (6 guards, 5 wings, 4 bigs a team), age (N(26.5, 4)), a minutes
 *   level and a shot volume (FGA per 36 minutes) by roster rank (the best player
 *   19.5-26, a second star a third of the time, down to 9), a shot profile over six
 *   zones (restricted area, paint, mid-range, corner three, above-the-break three,
 *   backcourt) from his position with lognormal noise (most bigs rarely shoot threes),
 *   field-goal percentages by zone (league .66/.445/.425/.39/.36/.03 plus inside,
 *   mid-range and three-point skills, sd 0.03, and +0.015 for stars), a free-throw
 *   rate (by position, growing with volume, 0.08-0.55) and percentage, rebound,
 *   assist, steal, block, foul and turnover propensities, and a form term: AR(1) per
 *   team game (0.85, innovations sd 0.07, stationary sd 0.13) that scales his volume
 *   by exp(form) and adds 0.1 * form to his percentages (hot and cold streaks). Roles
 *   (star, starter, rotation, bench) follow minutes and volume.
 * - Schedule: the NBA's 82-game formula (4 games against each division rival, 3 or 4
 *   against the other conference teams, the 3-game pairs rotating by season, 2 against
 *   the other conference; 41 home games each) from the Tuesday in October 18-24 to the
 *   Sunday in April 8-14, without Thanksgiving, Christmas Eve and the All-Star break.
 *   Games are placed day by day, greedily, by how far behind each team is, with more
 *   games on Wednesdays and Fridays, never three days in a row and a small penalty on
 *   back-to-backs (about 13 a team); a pass that overruns the season is redone.
 *   Tip-off is 19:00-20:00 local time of the home team (23:00-03:30 UTC); GAME_ID is
 *   002 + two-digit season + game number in date order.
 * - Availability before each game: injury spells (starting in a game, hazard 0.7% per
 *   player-game, x1.4 from age 30, at most 4 out per team; 1-3 games half the time,
 *   4-10 or 11-30 otherwise) reported out (the last game sometimes doubtful), then
 *   questionable/probable on the way back; minor knocks (questionable, probable,
 *   doubtful, played with probability 0.65, 0.96, 0.2); rest on the second night of a
 *   back-to-back for starters aged 31+ (reported out); available once a reported
 *   player is cleared. A player reported out never plays.
 * - Who plays: the available players ranked by minutes level; ranks 9-15 get
 *   coach's-decision DNPs with probability 0.1, 0.35, 0.6, 0.8, 0.9 (at least 8 play).
 *   The minutes plan is the level x exp(N(0, 0.1)), x0.96 on a back-to-back for
 *   players aged 30+ or with 32+ minutes, shortened by an in-game injury (x0.15-0.8)
 *   or foul trouble (5%, x0.7), scaled to 240 minutes (at most 44 each).
 * - Possessions: the game's pace is the mean of the two paces + N(0, 4.5) and each
 *   side gets that many possessions (+-1). A possession is a turnover (13.3% + the
 *   opponent's forcing offset, charged by turnover propensity x minutes) or a chain of
 *   scoring chances. A chance goes to a player with probability proportional to volume
 *   x exp(form) x minutes and becomes a two-shot foul with probability 0.8 FTr / (2 +
 *   0.8 FTr) (made at his FT%, -1% on a back-to-back) or a field-goal attempt in a
 *   zone drawn from his profile, made with probability: zone percentage + team offence
 *   + opponent defence (overall and zone) +- home + game shift + 0.1 form - 0.012 on a
 *   back-to-back. Made inside shots are and-ones 4.5% of the time; a missed shot is an
 *   offensive rebound 23% of the time (a missed last free throw 12%), which gives
 *   another chance. The game shift is a shooting environment shared by both sides (sd
 *   0.009) plus each side's own (sd 0.005).
 * - Game flow: regulation is played in 12 alternating stretches; the side ahead shoots
 *   0.0012 worse per point of lead (the side behind as much better), which keeps the
 *   margin's sd near the NBA's 15 while both sides' points correlate (shared pace and
 *   shooting). From the fourth quarter a lead of 20+ is garbage time: the top five's
 *   fourth-quarter minutes drop to 30%, ranks 9+ get 2.5 times theirs and players
 *   benched by coach's decision come in. Minutes are 3/4 of the plan plus the fourth
 *   quarter's 60 (at most 12 each), rounded to tenths that add up to 240 exactly. A
 *   tie after regulation plays 5-minute overtimes (+25 team minutes, 5 each for the
 *   five with most minutes, who play its possessions).
 * - Rest of the box score: assists Bin(FGM, 0.6), fouls Poisson(19) (at most 6 each),
 *   defensive rebounds Bin(the opponent's unrebounded misses, 0.93), steals
 *   Bin(opponent turnovers, 0.55), blocks Bin(opponent missed FGA, 0.11), each spread
 *   by propensity x minutes. Points are 2 FGM + FG3M + FTM of the simulated chances,
 *   so every identity holds by construction and team rows are the sums of their
 *   players.
 * - Trades: 3-6 a season between mid-December and the deadline (ten days before the
 *   All-Star game), swapping two players of similar minutes between two teams; ids
 *   stay. Between seasons players age (under 23 improve in volume, minutes and
 *   accuracy, 26-29 stay level, 30+ decline), veterans retire and are replaced by
 *   rookies with new ids (8% of them lottery talents), 8 pairs of players swap teams,
 *   team pace, offence and defence drift (AR(1), 0.7).
 * - Expected points, used by the books and the odds: the same model in expectation on
 *   the reported availability (out and doubtful players excluded, questionable x0.7,
 *   coach's-decision odds by rank, starters x0.97 for garbage time and fouls):
 *   minutes, chances per possession (with offensive rebounds), expected field-goal and
 *   free-throw points.
 * - Books: every player with 15+ expected minutes not reported out or doubtful gets
 *   points props from 4-8 of draftkings, fanduel, betmgm, williamhill_us, fanatics,
 *   betrivers, bovada, betonlineag for every game (played and future): an opening
 *   snapshot between 15:00 and 17:00 UTC and a later one 15-70 minutes before tip-off.
 *   The book's model mixes a recency-weighted points-per-minute history times expected
 *   minutes (0.55) with the expected points (0.45); the opening line is floor(model +
 *   0.3 + per-book bias (-0.15..+0.15) + noise common to the books (sd 0.9) + the
 *   book's own (sd 0.35)) + 0.5; the later snapshot moves 40% of the way to the
 *   expected points + 0.3, plus noise. Prices: the book's over probability 0.5 + 0.05
 *   (estimate - line) plus half its vig (2.4-8%) on each side, as American odds (about
 *   -130..+110). Game odds: total and home spread from the expected team points with
 *   noise (sd 2 and 1), to the half point; moneylines from a normal margin (sd 12)
 *   with 4.5% vig.
 * - Future games: the last season stops at the last game date at least future_days
 *   before its end; games within future_days after it get schedule, odds, props and
 *   injury reports but no box scores.
 * - Determinism: xoshiro256** streams seeded through splitmix64 from (seed, purpose,
 *   season, game), so one game's draws never shift another's; numbers are printed from
 *   integers (no locale). Files are written under temporary names and renamed into
 *   place once all are complete.
 * - What it looks like (seed 42, one season): teams score 114 (sd 13.6) on 89 FGA, 21
 *   FTA and 101 possessions, 47% from the field, 36% from three, 79% from the line;
 *   home teams win about 56%, margins have sd 15; 11 players play per team-game,
 *   scoring 10.4 points (sd 8.8) per played game, the best averaging 30+; later prop
 *   lines sit 0.3 points above the outcome on average and miss it by 4.5, and the over
 *   hits 44% of the time.
 */
#include "simulate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/fileio.h"

/* ------------------------------------------------------------------ random */

typedef struct {
    uint64_t s[4];
    int has_spare;
    double spare;
} rng;

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A stream for (seed, purpose, a, b): independent of every other stream. */
static void rng_init(rng *r, uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b)
{
    uint64_t x = mix64(seed + 0x9e3779b97f4a7c15ULL);
    x = mix64(x ^ (purpose * 0xd1b54a32d192ed03ULL));
    x = mix64(x ^ (a * 0x8cb92ba72f3d8dd7ULL));
    x = mix64(x ^ (b * 0xabc98388fb8fac03ULL));
    for (int i = 0; i < 4; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        r->s[i] = mix64(x);
    }
    r->has_spare = 0;
    r->spare = 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static double unif(rng *r) { return (double)(rng_next(r) >> 11) * 0x1p-53; }
static int rng_int(rng *r, int n) { return (int)((rng_next(r) >> 33) % (uint64_t)n); }

static double gauss(rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u = unif(r), v = unif(r);
    double m = sqrt(-2.0 * log(1.0 - u));
    r->spare = m * sin(6.283185307179586 * v);
    r->has_spare = 1;
    return m * cos(6.283185307179586 * v);
}

static int poisson(rng *r, double lam)
{
    if (lam <= 0) return 0;
    if (lam > 30) {
        double x = floor(lam + sqrt(lam) * gauss(r) + 0.5);
        return x < 0 ? 0 : (int)x;
    }
    double l = exp(-lam), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= unif(r);
    } while (p > l);
    return k - 1;
}

static int binom(rng *r, int n, double p)
{
    int k = 0;
    for (int i = 0; i < n; i++) k += unif(r) < p;
    return k;
}

/* Index drawn with probability w[i] / sum(w); n > 0, sum > 0. */
static int pick(rng *r, const double *w, int n, double sum)
{
    double x = unif(r) * sum;
    for (int i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    for (int i = n - 1; i >= 0; i--)
        if (w[i] > 0) return i;
    return n - 1;
}

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* ------------------------------------------------------------------- dates */

static int weekday(long z) { return (int)(((z % 7) + 11) % 7); } /* 0 = Sunday */

/* The first `wd` (0 = Sunday) on or after y-m-d. */
static long weekday_on_or_after(int y, int m, int d, int wd)
{
    long z = sw_date_from_civil(y, m, d);
    return z + (wd - weekday(z) + 7) % 7;
}

/* v as exactly n decimal digits. */
static void put_digits(char *s, long v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        s[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static void fmt_date(long z, char out[11]) { sw_date_format((int)z, out); }

/* "YYYY-MM-DDTHH:MM:00Z" for `minute` minutes after 00:00 UTC of day z. */
static void fmt_time(long z, int minute, char out[21])
{
    sw_datetime_format((int64_t)z * 86400 + (int64_t)minute * 60, out);
}

/* ------------------------------------------------------------------ league */

#define NT 30
#define ROSTER 15
#define NZ 6
#define NBOOKS 8
#define MAX_SEASONS 50
#define MAX_ROOKIES 60 /* per offseason */
#define MAX_TRADES 6
#define GAMES_PER_SEASON 1230

enum { Z_RA, Z_PAINT, Z_MID, Z_C3, Z_ATB3, Z_BC };
enum { POS_G, POS_W, POS_B };
enum { ROLE_STAR, ROLE_STARTER, ROLE_ROTATION, ROLE_BENCH };
enum { ST_NONE, ST_AVAILABLE, ST_PROBABLE, ST_QUESTIONABLE, ST_DOUBTFUL, ST_OUT };

static const char *const status_names[] = {"", "available", "probable", "questionable",
                                           "doubtful", "out"};

/* conf 0 East, 1 West; div 0 Atlantic, 1 Central, 2 Southeast, 3 Northwest,
 * 4 Pacific, 5 Southwest; tz hours behind Eastern. */
static const struct {
    const char *code;
    long id;
    int conf, div, tz;
} team_info[NT] = {
    {"ATL", 1610612737, 0, 2, 0}, {"BKN", 1610612751, 0, 0, 0}, {"BOS", 1610612738, 0, 0, 0},
    {"CHA", 1610612766, 0, 2, 0}, {"CHI", 1610612741, 0, 1, 1}, {"CLE", 1610612739, 0, 1, 0},
    {"DAL", 1610612742, 1, 5, 1}, {"DEN", 1610612743, 1, 3, 2}, {"DET", 1610612765, 0, 1, 0},
    {"GSW", 1610612744, 1, 4, 3}, {"HOU", 1610612745, 1, 5, 1}, {"IND", 1610612754, 0, 1, 0},
    {"LAC", 1610612746, 1, 4, 3}, {"LAL", 1610612747, 1, 4, 3}, {"MEM", 1610612763, 1, 5, 1},
    {"MIA", 1610612748, 0, 2, 0}, {"MIL", 1610612749, 0, 1, 1}, {"MIN", 1610612750, 1, 3, 1},
    {"NOP", 1610612740, 1, 5, 1}, {"NYK", 1610612752, 0, 0, 0}, {"OKC", 1610612760, 1, 3, 1},
    {"ORL", 1610612753, 0, 2, 0}, {"PHI", 1610612755, 0, 0, 0}, {"PHX", 1610612756, 1, 4, 2},
    {"POR", 1610612757, 1, 3, 3}, {"SAC", 1610612758, 1, 4, 3}, {"SAS", 1610612759, 1, 5, 1},
    {"TOR", 1610612761, 0, 0, 0}, {"UTA", 1610612762, 1, 3, 2}, {"WAS", 1610612764, 0, 2, 0},
};

static const char *const book_names[NBOOKS] = {"draftkings", "fanduel",   "betmgm",
                                               "williamhill_us", "fanatics", "betrivers",
                                               "bovada",     "betonlineag"};
static const double book_bias[NBOOKS] = {-0.05, 0.05, -0.15, 0.0, -0.05, -0.1, 0.15, 0.1};
static const double book_vig[NBOOKS] = {0.045, 0.045, 0.05, 0.05, 0.05, 0.055, 0.06, 0.035};

static const char *const first_names[] = {
    "Aaron",   "Andre",   "Anthony", "Ben",     "Brandon", "Bruce",   "Cade",    "Caleb",
    "Cam",     "Chris",   "Cody",    "Dante",   "Darius",  "De'Aaron","Dejounte","Derrick",
    "Devin",   "Donovan", "Dylan",   "Evan",    "Franz",   "Gary",    "Grant",   "Isaiah",
    "Jabari",  "Jalen",   "Jamal",   "Jaren",   "Jaylen",  "Jordan",  "Josh",    "Julius",
    "Keegan",  "Kevin",   "Khris",   "Kyle",    "Lamar",   "Landry",  "Luka",    "Malik",
    "Marcus",  "Mikal",   "Miles",   "Myles",   "Nikola",  "Norman",  "OG",      "Onyeka",
    "Paolo",   "Pascal",  "Quentin", "RJ",      "Rudy",    "Scottie", "Shai",    "Simone",
    "Terry",   "Trae",    "Tyler",   "Tyrese",  "Victor",  "Walker",  "Zach",    "Zion",
};
static const char *const last_names[] = {
    "Adams",    "Allen",    "Anderson", "Bailey",   "Barnes",   "Bell",     "Brooks",   "Brown",
    "Bryant",   "Butler",   "Carter",   "Clark",    "Coleman",  "Collins",  "Cook",     "Cooper",
    "Davis",    "Diallo",   "Dixon",    "Edwards",  "Ellis",    "Evans",    "Fisher",   "Ford",
    "Foster",   "Gibson",   "Gordon",   "Graham",   "Grant",    "Green",    "Griffin",  "Hall",
    "Harris",   "Hart",     "Hayes",    "Henderson","Hill",     "Holmes",   "Howard",   "Hughes",
    "Jackson",  "James",    "Jenkins",  "Johnson",  "Jones",    "Jordan",   "Kelly",    "King",
    "Lee",      "Lewis",    "Lopez",    "Marshall", "Martin",   "Mason",    "Mitchell", "Moore",
    "Morgan",   "Morris",   "Murray",   "Nelson",   "Okafor",   "Owens",    "Parker",   "Patterson",
    "Payne",    "Perry",    "Porter",   "Powell",   "Price",    "Reed",     "Richardson","Roberts",
    "Robinson", "Rogers",   "Ross",     "Russell",  "Sanders",  "Scott",    "Simmons",  "Smith",
    "Stewart",  "Sullivan", "Taylor",   "Thomas",   "Thompson", "Turner",   "Walker",   "Wallace",
    "Warren",   "Washington","Watson",  "White",    "Williams", "Wilson",   "Wright",   "Young",
};
#define N_FIRST ((int)(sizeof first_names / sizeof first_names[0]))
#define N_LAST ((int)(sizeof last_names / sizeof last_names[0]))

/* League-wide shape of the game. */
static const double zone_pct[NZ] = {0.66, 0.445, 0.425, 0.39, 0.36, 0.03};
static const int zone_val[NZ] = {2, 2, 2, 3, 3, 3};
static const int zone_dist10[NZ] = {30, 85, 160, 225, 255, 550}; /* feet * 10 */
static const double pos_share[3][NZ] = {
    {0.20, 0.14, 0.15, 0.07, 0.44, 0.002},
    {0.24, 0.12, 0.12, 0.16, 0.36, 0.002},
    {0.48, 0.25, 0.10, 0.05, 0.12, 0.002},
};
#define PACE 101.5
#define HOME_EDGE 0.0075
#define FORM_EFF 0.10
#define B2B_EFF 0.012
#define FORM_RHO 0.85
#define FORM_SD 0.07
#define LINE_BIAS 0.3
#define B2B_PENALTY 0.05
#define RUBBER 0.0012
#define TOV_RATE 0.133
#define OREB_FG 0.23
#define OREB_FT 0.12
#define AND1 0.045
#define INJ_HAZARD 0.007

typedef struct {
    int id; /* PLAYER_ID */
    char name[40];
    int team, age, pos, role;
    double base_min;   /* minutes on a normal night */
    double usage;      /* field-goal attempts per minute on court */
    double share[NZ];  /* shot profile */
    double pct[NZ];    /* field-goal percentage by zone */
    double ftr, ftp;   /* FTA per FGA, FT% */
    double reb_w, ast_w, stl_w, blk_w, pf_w, tov_rate;
    double form;       /* AR(1) hot/cold term */
    int out_left;      /* team games still to miss */
    int ret_flag;      /* back from a spell: questionable/probable next */
    int reported;      /* on the last injury report */
    double ewma_pts, ewma_min; /* what the books remember */
    int n_played;
} player;

typedef struct {
    double pace;     /* possessions per 48 minutes */
    double off;      /* added to the team's field-goal percentages */
    double def_all;  /* added to the opponents' field-goal percentages */
    double def[NZ];  /* ... by zone */
    double def_tov;  /* added to the opponents' turnover rate */
    int roster[ROSTER];
    long last_day;
} team;

typedef struct {
    long day;
    int home, away;
    int tip; /* minutes after 00:00 UTC of GAME_DATE */
} game;

/* --------------------------------------------------------------- writers */

enum { F_PLAYER, F_TEAM, F_ZONE, F_PROP, F_ODDS, F_SCHED, F_INJ, F_COUNT };

static const char *const file_names[F_COUNT] = {
    "player_game_logs.csv", "team_game_logs.csv", "player_shot_zones.csv", "prop_lines.csv",
    "game_odds.csv",        "schedule.csv",       "injuries.csv"};
static const char *const file_headers[F_COUNT] = {
    "SEASON,SEASON_TYPE,GAME_ID,GAME_DATE,PLAYER_ID,PLAYER_NAME,TEAM_ID,TEAM_ABBREVIATION,"
    "OPP_TEAM_ABBREVIATION,HOME,MATCHUP,WL,STARTER,MIN,FGM,FGA,FG3M,FG3A,FTM,FTA,OREB,DREB,REB,"
    "AST,STL,BLK,TOV,PF,PTS",
    "SEASON,SEASON_TYPE,GAME_ID,GAME_DATE,TEAM_ID,TEAM_ABBREVIATION,OPP_TEAM_ABBREVIATION,HOME,"
    "PTS,OPP_PTS,POSSESSIONS,FGA,FGM,FG3A,FG3M,FTA,FTM,OREB,DREB,TOV,OPP_TEAM_ID,WL,MIN,REB,AST,"
    "STL,BLK,PF,PLUS_MINUS",
    "SEASON,SEASON_TYPE,GAME_ID,GAME_DATE,TEAM_ID,TEAM_ABBREVIATION,PLAYER_ID,PLAYER_NAME,FGA,"
    "FGM,FG3A,FG3M,RA_FGA,RA_FGM,PAINT_FGA,PAINT_FGM,MID_FGA,MID_FGM,CORNER3_FGA,CORNER3_FGM,"
    "ATB3_FGA,ATB3_FGM,BACKCOURT_FGA,BACKCOURT_FGM,AVG_SHOT_DIST_FT",
    "GAME_DATE,PLAYER_NAME,PLAYER_ID,BOOK,LINE,OVER_PRICE,UNDER_PRICE,SNAPSHOT_TIME,GAME_ID,"
    "HOME_TEAM,AWAY_TEAM,TEAM_ABBREVIATION,COMMENCE_TIME_UTC",
    "SEASON,GAME_DATE,HOME_TEAM,AWAY_TEAM,TOTAL,SPREAD,HOME_ML,AWAY_ML,HOME_PTS,AWAY_PTS,GAME_ID",
    "SEASON,GAME_DATE,GAME_ID,HOME_TEAM,AWAY_TEAM,COMMENCE_TIME_UTC",
    "GAME_DATE,PLAYER_ID,PLAYER_NAME,TEAM_ABBREVIATION,GAME_ID,STATUS",
};

#define OUT_BUF (1 << 18)

/* A CSV written to "<path>.tmp.<pid>" through a private buffer; the first
 * write error is kept (errno) and reported when the file is committed. */
typedef struct {
    int fd;
    char *path, *tmp;
    char *buf;
    size_t len;
    int err;
    long rows;
} out_file;

static void of_flush(out_file *o)
{
    size_t done = 0;
    while (done < o->len && !o->err) {
        ssize_t w = write(o->fd, o->buf + done, o->len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            o->err = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    o->len = 0;
}

static void of_mem(out_file *o, const char *s, size_t n)
{
    if (o->len + n > OUT_BUF) of_flush(o);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}
static void of_s(out_file *o, const char *s) { of_mem(o, s, strlen(s)); }
static void of_c(out_file *o, char c)
{
    if (o->len == OUT_BUF) of_flush(o);
    o->buf[o->len++] = c;
}
static void of_sep(out_file *o) { of_c(o, ','); }
static void of_end(out_file *o)
{
    of_c(o, '\n');
    o->rows++;
}
static void of_sc(out_file *o, const char *s) /* string then comma */
{
    of_s(o, s);
    of_c(o, ',');
}

static void of_i(out_file *o, long v)
{
    char tmp[24];
    int n = 0;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[n++] = '-';
    char s[24];
    for (int i = 0; i < n; i++) s[i] = tmp[n - 1 - i];
    of_mem(o, s, (size_t)n);
}
static void of_ic(out_file *o, long v)
{
    of_i(o, v);
    of_c(o, ',');
}

/* v / den with one decimal (den 10: tenths; den 2: halves). */
static void of_fixed(out_file *o, long v, int den)
{
    if (v < 0) {
        of_c(o, '-');
        v = -v;
    }
    of_i(o, v / den);
    of_c(o, '.');
    of_c(o, (char)('0' + (v % den) * (10 / den)));
}

static int of_open(out_file *o, const char *dir, int which, sw_error *err)
{
    size_t n = strlen(dir) + strlen(file_names[which]) + 2;
    o->fd = -1;
    o->path = sw_malloc(n);
    o->tmp = sw_malloc(n + 32);
    o->buf = sw_malloc(OUT_BUF);
    if (!o->path || !o->tmp || !o->buf) return sw_fail(err, SW_NOMEM, "out of memory");
    snprintf(o->path, n, "%s/%s", dir, file_names[which]);
    snprintf(o->tmp, n + 32, "%s.tmp.%ld", o->path, (long)getpid());
    o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0)
        return sw_error_set(err, SW_IO, o->path, 0, 0, -1, "cannot create %s: %s", o->tmp,
                            strerror(errno));
    of_s(o, file_headers[which]);
    of_c(o, '\n');
    return SW_OK;
}

static int of_check(const out_file *o, sw_error *err)
{
    if (!o->err) return SW_OK;
    return sw_error_set(err, SW_IO, o->path, 0, 0, -1, "write failed: %s", strerror(o->err));
}

/* Flush, sync and close (not yet renamed). */
static int of_finish(out_file *o, sw_error *err)
{
    of_flush(o);
    SW_TRY(of_check(o, err));
    if (fsync(o->fd) != 0) {
        o->err = errno;
        return sw_error_set(err, SW_IO, o->path, 0, 0, -1, "sync failed: %s", strerror(errno));
    }
    int rc = close(o->fd);
    o->fd = -1;
    if (rc != 0)
        return sw_error_set(err, SW_IO, o->path, 0, 0, -1, "close failed: %s", strerror(errno));
    return SW_OK;
}

/* Close (if open), remove the temporary file unless it was renamed, free. */
static void of_discard(out_file *o)
{
    if (o->fd >= 0) close(o->fd);
    if (o->tmp && o->tmp[0]) unlink(o->tmp);
    sw_free(o->path);
    sw_free(o->tmp);
    sw_free(o->buf);
    memset(o, 0, sizeof *o);
    o->fd = -1;
}

/* ------------------------------------------------------------------- state */

typedef struct {
    double score;
    int pair;
} cand;

typedef struct {
    sw_sim_params p;
    team teams[NT];
    player *pl;
    int npl, cappl;
    unsigned char *name_used; /* N_FIRST * N_LAST */
    /* the current season */
    int season_idx, year;
    char season_str[8];
    game *games;
    int ngames;
    int (*pairs)[2]; /* matchups: home, away */
    cand *cand;      /* scheduler scratch */
    int *pending;
    unsigned char *done;
    long *trade_day;
    int ntrades;
    out_file out[F_COUNT];
    long last_played, first_future;
} sim;

enum { TAG_INIT = 1, TAG_SEASON, TAG_GAME, TAG_BOOK };

static int new_name(sim *S, rng *r, char *out, size_t size)
{
    int k = -1;
    for (int tries = 0; tries < 1000 && k < 0; tries++) {
        int c = rng_int(r, N_FIRST * N_LAST);
        if (!S->name_used[c]) k = c;
    }
    for (int c = 0; c < N_FIRST * N_LAST && k < 0; c++)
        if (!S->name_used[c]) k = c;
    if (k < 0) k = rng_int(r, N_FIRST * N_LAST); /* names exhausted: repeat one */
    S->name_used[k] = 1;
    snprintf(out, size, "%s %s", first_names[k / N_LAST], last_names[k % N_LAST]);
    return k;
}

/* A new player with a minutes level and a volume (FGA per 36 minutes). */
static int add_player(sim *S, rng *r, int team_idx, int pos, int age, double base_min, double vol36)
{
    SW_ASSERT(S->npl < S->cappl, "player capacity");
    player *p = &S->pl[S->npl];
    memset(p, 0, sizeof *p);
    p->id = 1630000 + S->npl;
    new_name(S, r, p->name, sizeof p->name);
    p->team = team_idx;
    p->pos = pos;
    p->age = age;
    p->base_min = base_min;
    p->usage = vol36 / 36.0;
    int stretch = pos == POS_B && unif(r) < 0.6;
    double sum = 0;
    for (int z = 0; z < NZ; z++) {
        double s = pos_share[pos][z] * (z == Z_BC ? 1.0 : exp(0.25 * gauss(r)));
        if (pos == POS_B && !stretch && (z == Z_C3 || z == Z_ATB3)) s *= 0.1;
        p->share[z] = s;
        sum += s;
    }
    for (int z = 0; z < NZ; z++) p->share[z] /= sum;
    double star = vol36 >= 18.5 ? 0.015 : 0.0;
    double inside = 0.03 * gauss(r) + (pos == POS_B ? 0.02 : 0.0);
    double mid = 0.03 * gauss(r), three = 0.03 * gauss(r) - (pos == POS_B ? 0.02 : 0.0);
    double off[NZ] = {inside, inside, mid, three, three, 0};
    for (int z = 0; z < NZ; z++)
        p->pct[z] = z == Z_BC ? zone_pct[z] : clampd(zone_pct[z] + off[z] + star, 0.2, 0.8);
    static const double ftr0[3] = {0.22, 0.24, 0.32}, ftp0[3] = {0.825, 0.805, 0.73};
    p->ftr = clampd(ftr0[pos] * sqrt(vol36 / 13.0) * exp(0.25 * gauss(r)), 0.08, 0.55);
    p->ftp = clampd(ftp0[pos] + 0.06 * gauss(r), 0.45, 0.93);
    static const double reb[3] = {1.0, 1.6, 3.0}, ast[3] = {3.0, 1.5, 1.0},
                        stl[3] = {1.3, 1.2, 0.9}, blk[3] = {0.3, 0.8, 2.5}, pf[3] = {1.0, 1.0, 1.3};
    p->reb_w = reb[pos] * exp(0.2 * gauss(r));
    p->ast_w = ast[pos] * exp(0.25 * gauss(r)) * (star > 0 ? 1.3 : 1.0);
    p->stl_w = stl[pos] * exp(0.2 * gauss(r));
    p->blk_w = blk[pos] * exp(0.3 * gauss(r));
    p->pf_w = pf[pos];
    p->tov_rate = 0.052 * pow(vol36 / 12.0, 0.8);
    p->form = FORM_SD / sqrt(1 - FORM_RHO * FORM_RHO) * gauss(r);
    return S->npl++;
}

static int random_pos(rng *r)
{
    double u = unif(r);
    return u < 0.4 ? POS_G : u < 0.7 ? POS_W : POS_B;
}

static void make_league(sim *S)
{
    static const double min_rank[ROSTER] = {34.5, 32.5, 30.5, 28.5, 26.5, 24, 21, 18,
                                            15.5, 12.5, 10, 7.5, 5.5, 4, 3};
    static const double vol_rank[ROSTER] = {21, 16.5, 15, 13.5, 12.5, 12, 11.5, 11,
                                            10.5, 10, 10, 9.5, 9.5, 9, 9};
    rng r;
    rng_init(&r, S->p.seed, TAG_INIT, 0, 0);
    for (int t = 0; t < NT; t++) {
        team *tm = &S->teams[t];
        tm->pace = PACE + 2.0 * gauss(&r);
        tm->off = 0.016 * gauss(&r);
        tm->def_all = 0.022 * gauss(&r);
        tm->def_tov = 0.01 * gauss(&r);
        for (int z = 0; z < Z_BC; z++) tm->def[z] = 0.01 * gauss(&r);
        int pos[ROSTER] = {POS_G, POS_G, POS_G, POS_G, POS_G, POS_G, POS_W, POS_W,
                           POS_W, POS_W, POS_W, POS_B, POS_B, POS_B, POS_B};
        for (int i = ROSTER - 1; i > 0; i--) {
            int j = rng_int(&r, i + 1), x = pos[i];
            pos[i] = pos[j];
            pos[j] = x;
        }
        for (int k = 0; k < ROSTER; k++) {
            double vol = vol_rank[k] * exp(0.12 * gauss(&r));
            if (k == 0) vol = 19.5 + 6.5 * unif(&r);
            if (k == 1 && unif(&r) < 0.35) vol = 18 + 4 * unif(&r);
            double mins = clampd(min_rank[k] + 1.5 * gauss(&r), 2, 38);
            int age = (int)clampd(floor(26.5 + 4 * gauss(&r) + 0.5), 19, 38);
            tm->roster[k] = add_player(S, &r, t, pos[k], age, mins, vol);
        }
    }
}

/* Roles from minutes and volume, ranked within each team. */
static void assign_roles(sim *S)
{
    for (int t = 0; t < NT; t++) {
        int idx[ROSTER];
        memcpy(idx, S->teams[t].roster, sizeof idx);
        for (int i = 1; i < ROSTER; i++)
            for (int j = i; j > 0 && S->pl[idx[j]].base_min > S->pl[idx[j - 1]].base_min; j--) {
                int x = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = x;
            }
        for (int k = 0; k < ROSTER; k++) {
            player *p = &S->pl[idx[k]];
            p->role = p->usage * 36 >= 18.5 && p->base_min >= 30 ? ROLE_STAR
                      : k < 5                                    ? ROLE_STARTER
                      : k < 9                                    ? ROLE_ROTATION
                                                                 : ROLE_BENCH;
        }
    }
}

/* Swap two players of similar minutes between two teams. */
static void trade(sim *S, rng *r)
{
    int a = rng_int(r, NT), b = (a + 1 + rng_int(r, NT - 1)) % NT;
    int ka = rng_int(r, ROSTER), kb = 0;
    const player *pa = &S->pl[S->teams[a].roster[ka]];
    double best = 1e300;
    for (int k = 0; k < ROSTER; k++) {
        double d = fabs(S->pl[S->teams[b].roster[k]].base_min - pa->base_min);
        if (d < best) best = d, kb = k;
    }
    int ia = S->teams[a].roster[ka], ib = S->teams[b].roster[kb];
    S->teams[a].roster[ka] = ib;
    S->teams[b].roster[kb] = ia;
    S->pl[ia].team = b;
    S->pl[ib].team = a;
}

/* Between seasons: aging, retirements and rookies, a few moves, team drift. */
static void offseason(sim *S, rng *r)
{
    int rookies = 0;
    for (int t = 0; t < NT; t++) {
        team *tm = &S->teams[t];
        tm->pace = PACE + 0.6 * (tm->pace - PACE) + 1.6 * gauss(r);
        tm->off = 0.7 * tm->off + 0.0114 * gauss(r);
        tm->def_all = 0.7 * tm->def_all + 0.0157 * gauss(r);
        tm->def_tov = 0.7 * tm->def_tov + 0.007 * gauss(r);
        for (int z = 0; z < Z_BC; z++) tm->def[z] = 0.7 * tm->def[z] + 0.007 * gauss(r);
        for (int k = 0; k < ROSTER; k++) {
            player *p = &S->pl[tm->roster[k]];
            p->age++;
            double g = p->age <= 22   ? 0.08 + 0.05 * gauss(r)
                       : p->age <= 25 ? 0.04 + 0.04 * gauss(r)
                       : p->age <= 29 ? 0.03 * gauss(r)
                       : p->age <= 32 ? -0.04 + 0.03 * gauss(r)
                                      : -0.08 + 0.04 * gauss(r);
            p->usage = clampd(p->usage * exp(g), 6.0 / 36, 30.0 / 36);
            p->base_min = clampd(p->base_min + 10 * g + 1.5 * gauss(r), 2, 38);
            for (int z = 0; z < Z_BC; z++) p->pct[z] = clampd(p->pct[z] + 0.12 * g, 0.2, 0.8);
            p->form *= 0.3;
            p->out_left = p->ret_flag = p->reported = 0;
            double retire = p->age >= 39   ? 1.0
                            : p->age >= 34 ? 0.2 + 0.15 * (p->age - 34)
                            : p->age >= 31 && p->base_min < 8 ? 0.3
                                                              : 0.0;
            if (rookies < MAX_ROOKIES && unif(r) < retire) {
                int lottery = unif(r) < 0.08;
                double mins = lottery ? 26 + 6 * unif(r) : 4 + 14 * unif(r);
                double vol = lottery ? 15 + 5 * unif(r) : 9 + 3 * unif(r);
                int age = 19 + rng_int(r, 4);
                p->team = -1;
                tm->roster[k] = add_player(S, r, t, random_pos(r), age, mins, vol);
                rookies++;
            }
        }
    }
    /* free agency: players of similar minutes change teams */
    for (int i = 0; i < 8; i++) trade(S, r);
}

/* --------------------------------------------------------------- schedule */

typedef struct {
    long start, end, thanksgiving, xmas_eve, asb_lo, asb_hi, dst_end, dst_start;
} season_dates;

static season_dates dates_of(int y)
{
    season_dates d;
    d.start = weekday_on_or_after(y, 10, 18, 2);
    d.end = weekday_on_or_after(y + 1, 4, 8, 0);
    d.thanksgiving = weekday_on_or_after(y, 11, 1, 4) + 21;
    d.xmas_eve = sw_date_from_civil(y, 12, 24);
    long asg = weekday_on_or_after(y + 1, 2, 1, 0) + 14;
    d.asb_lo = asg - 2;
    d.asb_hi = asg + 3;
    d.dst_end = weekday_on_or_after(y, 11, 1, 0);
    d.dst_start = weekday_on_or_after(y + 1, 3, 1, 0) + 7;
    return d;
}

static int playable(const season_dates *d, long z)
{
    return z != d->thanksgiving && z != d->xmas_eve && (z < d->asb_lo || z > d->asb_hi);
}

/* The 1230 matchups of a season: division 4 games, conference 3 or 4 (the
 * 3-game pairs rotate with the season), other conference 2. */
static int make_pairs(sim *S)
{
    int didx[NT], cnt[6] = {0};
    for (int t = 0; t < NT; t++) didx[t] = cnt[team_info[t].div]++;
    int n = 0, shift = S->year % 5;
    for (int a = 0; a < NT; a++)
        for (int b = a + 1; b < NT; b++) {
            int ga, gb; /* home games of a and of b */
            if (team_info[a].div == team_info[b].div) {
                ga = gb = 2;
            } else if (team_info[a].conf == team_info[b].conf) {
                int x = a, y = b;
                if (team_info[x].div > team_info[y].div) x = b, y = a;
                int d = ((didx[y] - didx[x] - shift) % 5 + 5) % 5;
                int gx = d == 0 ? 2 : d == 1 ? 1 : 2, gy = d == 0 ? 1 : d == 1 ? 2 : 2;
                ga = x == a ? gx : gy;
                gb = x == a ? gy : gx;
            } else {
                ga = gb = 1;
            }
            for (int i = 0; i < ga; i++) S->pairs[n][0] = a, S->pairs[n][1] = b, n++;
            for (int i = 0; i < gb; i++) S->pairs[n][0] = b, S->pairs[n][1] = a, n++;
        }
    SW_ASSERT(n == GAMES_PER_SEASON, "82-game formula");
    return n;
}

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pair - y->pair;
}

static int cmp_game(const void *a, const void *b)
{
    const game *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    if (x->tip != y->tip) return x->tip - y->tip;
    return x->home - y->home;
}

/* ET is UTC-4 in daylight time, UTC-5 otherwise. */
static int et_offset_min(const season_dates *d, long z)
{
    return (z < d->dst_end || z >= d->dst_start) ? 240 : 300;
}

/* Place the np matchups on days, greedily (see the top of the file); returns
 * the last day used, which may lie after the season's end when the greedy
 * order leaves games over. */
static long place_games(sim *S, rng *r, const season_dates *sd, int np)
{
    /* weights by weekday, Sunday first */
    static const double wday[7] = {0.85, 1.0, 0.75, 1.3, 0.55, 1.2, 1.0};
    long last_day = sd->start;
    double wrem = 0;
    long days_left = 0;
    for (long z = sd->start; z <= sd->end; z++)
        if (playable(sd, z)) wrem += wday[weekday(z)], days_left++;
    int left[NT];
    long last1[NT], last2[NT];
    for (int t = 0; t < NT; t++) left[t] = 82, last1[t] = last2[t] = LONG_MIN / 2;
    int npend = np;
    for (int i = 0; i < np; i++) S->pending[i] = i, S->done[i] = 0;
    S->ngames = 0;
    for (long z = sd->start; npend > 0; z++) {
        int after_end = z > sd->end; /* leftovers (rare): one more day each */
        if (!after_end && !playable(sd, z)) continue;
        double w = wday[weekday(z)];
        int target = 15;
        if (!after_end) {
            double expect = npend * w / wrem;
            target = (int)floor(expect * (0.85 + 0.3 * unif(r)) + 0.5);
            target = target < 2 ? 2 : target > 15 ? 15 : target;
        }
        double dl = after_end ? 1.0 : (double)days_left;
        int nc = 0;
        for (int i = 0; i < npend; i++) {
            int g = S->pending[i], h = S->pairs[g][0], a = S->pairs[g][1];
            int three_h = last1[h] == z - 1 && last2[h] == z - 2;
            int three_a = last1[a] == z - 1 && last2[a] == z - 2;
            if (three_h || three_a) continue; /* never three days in a row */
            double s = left[h] / dl + left[a] / dl + 0.5 * unif(r);
            s -= B2B_PENALTY * (last1[h] == z - 1) + B2B_PENALTY * (last1[a] == z - 1);
            S->cand[nc].score = s;
            S->cand[nc].pair = g;
            nc++;
        }
        qsort(S->cand, (size_t)nc, sizeof(cand), cmp_cand);
        int busy[NT] = {0}, taken = 0;
        for (int i = 0; i < nc; i++) {
            int g = S->cand[i].pair, h = S->pairs[g][0], a = S->pairs[g][1];
            if (busy[h] || busy[a]) continue;
            double urg = (left[h] > left[a] ? left[h] : left[a]) / dl;
            if (taken >= target && urg < 0.8) continue;
            busy[h] = busy[a] = 1;
            taken++;
            left[h]--, left[a]--;
            last2[h] = last1[h], last1[h] = z;
            last2[a] = last1[a], last1[a] = z;
            game *gm = &S->games[S->ngames++];
            gm->day = z;
            gm->home = h;
            gm->away = a;
            S->done[g] = 1;
            last_day = z;
        }
        int k = 0;
        for (int i = 0; i < npend; i++)
            if (!S->done[S->pending[i]]) S->pending[k++] = S->pending[i];
        npend = k;
        if (!after_end) {
            wrem -= w;
            days_left--;
            if (wrem < 1e-9) wrem = 1e-9;
            if (days_left < 1) days_left = 1;
        }
    }
    return last_day;
}

static void build_schedule(sim *S, rng *r, const season_dates *sd)
{
    int np = make_pairs(S);
    /* a few greedy passes rarely all overrun; the last one is kept then */
    for (int attempt = 0; attempt < 20; attempt++)
        if (place_games(S, r, sd, np) <= sd->end) break;
    /* tip-off: 19:00-20:00 local, later slots only east of the mountains */
    for (int i = 0; i < S->ngames; i++) {
        game *g = &S->games[i];
        int tz = team_info[g->home].tz;
        double u = unif(r);
        int local = tz >= 3 ? (u < 0.55 ? 1140 : 1170)
                            : (u < 0.5 ? 1140 : u < 0.85 ? 1170 : 1200);
        g->tip = local + 60 * tz + et_offset_min(sd, g->day);
    }
    qsort(S->games, (size_t)S->ngames, sizeof(game), cmp_game);
}

static void game_id(const sim *S, int gi, char out[11])
{
    memcpy(out, "002", 3);
    put_digits(out + 3, S->year % 100, 2);
    put_digits(out + 5, gi + 1, 5);
    out[10] = 0;
}

/* ------------------------------------------------------------- the games */

/* Water-fill: out[i] = min(cap, k * t[i]) with sum(out) = total. */
static void fill_minutes(const double *t, int n, double total, double cap, double *out)
{
    int capped[ROSTER] = {0}, live = 0;
    for (int i = 0; i < n; i++) {
        out[i] = 0;
        live += t[i] > 0;
    }
    if (live > 0 && cap * live < total) cap = total / live;
    double rem = total;
    for (int iter = 0; iter <= n; iter++) {
        double s = 0;
        for (int i = 0; i < n; i++)
            if (!capped[i]) s += t[i];
        if (s <= 0) return;
        double k = rem / s;
        int any = 0;
        for (int i = 0; i < n; i++)
            if (!capped[i] && t[i] * k > cap) {
                capped[i] = 1;
                out[i] = cap;
                rem -= cap;
                any = 1;
            }
        if (!any) {
            for (int i = 0; i < n; i++)
                if (!capped[i]) out[i] = t[i] * k;
            return;
        }
    }
}

/* Round minutes to tenths adding up to exactly total10: floors, then one more
 * tenth for the largest remainders; everyone with minutes keeps at least a
 * tenth (taken from the player with most). */
static void round_tenths(const double *m, int n, int total10, int *out)
{
    double frac[ROSTER];
    int sum = 0, most = 0;
    for (int i = 0; i < n; i++) {
        double x = m[i] * 10;
        out[i] = (int)floor(x);
        frac[i] = m[i] > 0 ? x - out[i] : -1;
        sum += out[i];
        if (m[i] > m[most]) most = i;
    }
    for (; sum < total10; sum++) {
        int b = -1;
        for (int i = 0; i < n; i++)
            if (frac[i] >= 0 && (b < 0 || frac[i] > frac[b])) b = i;
        if (b < 0) b = most; /* only if the minutes were short of the total */
        else frac[b] = -1;
        out[b]++;
    }
    for (int i = 0; i < n; i++)
        if (m[i] > 0 && out[i] == 0) {
            int b = 0;
            for (int j = 1; j < n; j++)
                if (out[j] > out[b]) b = j;
            out[b]--;
            out[i]++;
        }
}

typedef struct {
    int status, plays, starter, inj;
    double exp_min, mu;
    int min10, fgm, fga, fg3m, fg3a, ftm, fta, oreb, dreb, ast, stl, blk, tov, pf;
    int zfga[NZ], zfgm[NZ];
} pbox;

typedef struct {
    int team, opp, home, b2b;
    pbox p[ROSTER];
    double exp_pts;
    int pts, fga, fgm, fg3a, fg3m, fta, ftm, oreb, dreb, tov, ast, stl, blk, pf, min;
    int drb_chances; /* misses the defence may rebound */
} side_box;

/* Coach's-decision DNP by rank among the available (0 = most minutes). */
static const double cd_prob[ROSTER] = {0, 0, 0, 0, 0, 0, 0, 0, 0.1, 0.35, 0.6, 0.8, 0.9, 0.9, 0.9};

/* Roster slots of the players who play (use_plays) or are not reported out
 * or doubtful, by minutes level, most first; returns how many. */
static int rank_by_minutes(const sim *S, const side_box *b, int use_plays, int *idx)
{
    const team *t = &S->teams[b->team];
    int n = 0;
    for (int k = 0; k < ROSTER; k++) {
        int st = b->p[k].status;
        if (use_plays ? b->p[k].plays : (st != ST_OUT && st != ST_DOUBTFUL)) idx[n++] = k;
    }
    for (int i = 1; i < n; i++) { /* insertion sort, stable */
        int x = idx[i], j = i;
        double level = S->pl[t->roster[x]].base_min;
        for (; j > 0 && S->pl[t->roster[idx[j - 1]]].base_min < level; j--) idx[j] = idx[j - 1];
        idx[j] = x;
    }
    return n;
}

static double b2b_min_factor(const player *p)
{
    return (p->age >= 30 || p->base_min >= 32) ? 0.96 : 1.0;
}

/* Status before the game; advances the player's injury state. */
static int availability(player *p, int b2b, rng *r, int *plays)
{
    *plays = 1;
    double u = unif(r);
    if (p->out_left > 0) {
        int st = ST_OUT;
        *plays = 0;
        if (p->out_left == 1 && u < 0.35) {
            st = ST_DOUBTFUL;
            *plays = unif(r) < 0.25;
        }
        if (*plays) p->out_left = 0;
        else if (--p->out_left == 0) p->ret_flag = 1;
        p->reported = 1;
        return st;
    }
    if (p->ret_flag) {
        int st = u < 0.55 ? ST_QUESTIONABLE : ST_PROBABLE;
        *plays = unif(r) < (st == ST_QUESTIONABLE ? 0.75 : 0.97);
        if (*plays) p->ret_flag = 0;
        p->reported = 1;
        return st;
    }
    if (b2b && p->age >= 31 && p->role <= ROLE_STARTER && u < 0.15) {
        *plays = 0;
        p->reported = 1;
        return ST_OUT; /* rest */
    }
    u = unif(r);
    int st = u < 0.020   ? ST_QUESTIONABLE
             : u < 0.030 ? ST_PROBABLE
             : u < 0.034 ? ST_DOUBTFUL
                         : ST_NONE;
    if (st != ST_NONE) {
        double pp = st == ST_QUESTIONABLE ? 0.65 : st == ST_PROBABLE ? 0.96 : 0.2;
        *plays = unif(r) < pp;
        p->reported = 1;
        return st;
    }
    if (p->reported) {
        p->reported = 0;
        return ST_AVAILABLE;
    }
    return ST_NONE;
}

static double make_prob(const player *p, const team *own, const team *opp, int z, int home,
                        int b2b, double shift)
{
    if (z == Z_BC) return zone_pct[Z_BC];
    double q = p->pct[z] + own->off + opp->def_all + opp->def[z] +
               (home ? HOME_EDGE : -HOME_EDGE) + FORM_EFF * p->form - (b2b ? B2B_EFF : 0.0) + shift;
    return clampd(q, 0.05, 0.9);
}

/* A scoring chance ends in two free throws instead of a field-goal attempt
 * with this probability, which makes FTA/FGA about the player's FT rate. */
static double trip_prob(const player *p) { return 0.8 * p->ftr / (2.0 + 0.8 * p->ftr); }
static double tov_prob(const team *opp) { return clampd(TOV_RATE + opp->def_tov, 0.08, 0.2); }

/* Expected minutes and points from the reported availability (what books and
 * the odds see): the possession model below, in expectation. */
static void expect_side(const sim *S, side_box *sb)
{
    const team *t = &S->teams[sb->team], *o = &S->teams[sb->opp];
    double tgt[ROSTER] = {0}, em[ROSTER], w[ROSTER], pps[ROSTER], pfg[ROSTER], inside[ROSTER];
    double sw = 0;
    int idx[ROSTER], n = rank_by_minutes(S, sb, 0, idx);
    for (int i = 0; i < n; i++) {
        int k = idx[i];
        const player *p = &S->pl[t->roster[k]];
        /* starters lose some minutes to garbage time and foul trouble */
        tgt[k] = p->base_min * (sb->b2b ? b2b_min_factor(p) : 1.0) * (1 - cd_prob[i]) *
                 (i < 5 ? 0.97 : 1.0) * (sb->p[k].status == ST_QUESTIONABLE ? 0.7 : 1.0);
    }
    fill_minutes(tgt, ROSTER, 240, 44, em);
    double cont = 0; /* chance that a scoring chance is followed by another */
    for (int k = 0; k < ROSTER; k++) {
        const player *p = &S->pl[t->roster[k]];
        w[k] = p->usage * exp(p->form) * em[k];
        sw += w[k];
        pps[k] = pfg[k] = inside[k] = 0;
        for (int z = 0; z < NZ; z++) {
            double q = make_prob(p, t, o, z, sb->home, sb->b2b, 0);
            pps[k] += p->share[z] * q * zone_val[z];
            pfg[k] += p->share[z] * q;
            if (z <= Z_PAINT) inside[k] += p->share[z] * q;
        }
    }
    sb->exp_pts = 0;
    if (sw <= 0) return;
    for (int k = 0; k < ROSTER; k++) {
        const player *p = &S->pl[t->roster[k]];
        double q = trip_prob(p);
        cont += w[k] / sw * ((1 - q) * (1 - pfg[k]) * OREB_FG + q * (1 - p->ftp) * OREB_FT);
    }
    double chances = 0.5 * (t->pace + o->pace) * (1 - tov_prob(o)) / (1 - cont);
    for (int k = 0; k < ROSTER; k++) {
        const player *p = &S->pl[t->roster[k]];
        double ev = chances * w[k] / sw, q = trip_prob(p);
        double fga = ev * (1 - q), fta = 2 * ev * q + fga * inside[k] * AND1;
        sb->p[k].exp_min = em[k];
        sb->p[k].mu = fga * pps[k] + fta * p->ftp;
        sb->exp_pts += sb->p[k].mu;
    }
}

/* `poss` possessions of one side, player k on court for m[k] minutes of them.
 * A possession is a turnover or a chain of scoring chances: a field-goal
 * attempt or a two-shot foul; a miss may be rebounded by the offence, which
 * gives another chance. */
static void play_possessions(const sim *S, side_box *sb, const double *m, int poss, double shift,
                             rng *r)
{
    const team *t = &S->teams[sb->team], *o = &S->teams[sb->opp];
    double use[ROSTER], tw[ROSTER], rw[ROSTER], su = 0, stw = 0, srw = 0;
    for (int k = 0; k < ROSTER; k++) {
        const player *p = &S->pl[t->roster[k]];
        int on = m[k] > 0;
        su += use[k] = on ? p->usage * exp(p->form) * m[k] : 0;
        stw += tw[k] = on ? p->tov_rate * m[k] : 0;
        srw += rw[k] = on ? p->reb_w * m[k] : 0;
    }
    if (su <= 0) return;
    double ptov = tov_prob(o);
    for (int i = 0; i < poss; i++) {
        if (unif(r) < ptov) {
            sb->p[pick(r, tw, ROSTER, stw)].tov++;
            continue;
        }
        for (int chance = 0; chance < 16; chance++) {
            int k = pick(r, use, ROSTER, su);
            const player *p = &S->pl[t->roster[k]];
            pbox *b = &sb->p[k];
            if (unif(r) < trip_prob(p)) {
                double ftp = p->ftp * (sb->b2b ? 0.99 : 1.0);
                int last = unif(r) < ftp;
                b->fta += 2;
                b->ftm += (unif(r) < ftp) + last;
                if (last) break;
                if (unif(r) < OREB_FT) {
                    sb->p[pick(r, rw, ROSTER, srw)].oreb++;
                    continue;
                }
                sb->drb_chances++;
                break;
            }
            int z = pick(r, p->share, NZ, 1.0);
            b->zfga[z]++;
            if (unif(r) < make_prob(p, t, o, z, sb->home, sb->b2b, shift)) {
                b->zfgm[z]++;
                if (z <= Z_PAINT && unif(r) < AND1) {
                    b->fta++;
                    b->ftm += unif(r) < p->ftp;
                }
                break;
            }
            if (unif(r) < OREB_FG) {
                sb->p[pick(r, rw, ROSTER, srw)].oreb++;
                continue;
            }
            sb->drb_chances++;
            break;
        }
    }
}

static void side_totals(side_box *sb)
{
    sb->pts = sb->fga = sb->fgm = sb->fg3a = sb->fg3m = sb->fta = sb->ftm = 0;
    for (int k = 0; k < ROSTER; k++) {
        pbox *b = &sb->p[k];
        b->fga = b->fgm = b->fg3a = b->fg3m = 0;
        for (int z = 0; z < NZ; z++) {
            b->fga += b->zfga[z];
            b->fgm += b->zfgm[z];
            if (zone_val[z] == 3) {
                b->fg3a += b->zfga[z];
                b->fg3m += b->zfgm[z];
            }
        }
        sb->fga += b->fga;
        sb->fgm += b->fgm;
        sb->fg3a += b->fg3a;
        sb->fg3m += b->fg3m;
        sb->fta += b->fta;
        sb->ftm += b->ftm;
    }
    sb->pts = 2 * sb->fgm + sb->fg3m + sb->ftm;
}

/* Spread `n` events over the players by weight w (a per-player cap when cap > 0). */
static void spread(rng *r, const double *w, int n, int *field, size_t stride, int cap)
{
    double ww[ROSTER], sum = 0;
    for (int k = 0; k < ROSTER; k++) sum += ww[k] = w[k];
    for (int i = 0; i < n && sum > 1e-12; i++) {
        int k = pick(r, ww, ROSTER, sum);
        int *f = (int *)((char *)field + stride * (size_t)k);
        (*f)++;
        if (cap > 0 && *f >= cap) {
            sum -= ww[k];
            ww[k] = 0;
        }
    }
}

#define PB_FIELD(sb, name) (&(sb)->p[0].name), sizeof(pbox)

/* Who plays and for about how long: coach's decisions for the deep bench,
 * then minutes levels with noise scaled to 240.  rank[k] is the player's rank
 * by minutes level among those available (-1 if unavailable). */
static void plan_minutes(const sim *S, side_box *b, double *M, int *rank, int *cd, rng *r)
{
    const team *t = &S->teams[b->team];
    int idx[ROSTER], n = rank_by_minutes(S, b, 1, idx), out_now = 0;
    for (int k = 0; k < ROSTER; k++) {
        rank[k] = -1;
        cd[k] = 0;
        out_now += S->pl[t->roster[k]].out_left > 0;
    }
    int playing = n;
    for (int i = n - 1; i >= 8; i--)
        if (playing > 8 && unif(r) < cd_prob[i]) {
            b->p[idx[i]].plays = 0;
            cd[idx[i]] = 1; /* may still see garbage time */
            playing--;
        }
    double tgt[ROSTER] = {0};
    for (int i = 0; i < n; i++) {
        int k = idx[i];
        rank[k] = i;
        if (!b->p[k].plays) continue;
        const player *p = &S->pl[t->roster[k]];
        b->p[k].starter = i < 5;
        double m = p->base_min * exp(0.10 * gauss(r));
        if (b->b2b) m *= b2b_min_factor(p);
        if (out_now < 4 && unif(r) < INJ_HAZARD * (p->age >= 30 ? 1.4 : 1.0)) {
            b->p[k].inj = 1; /* hurt during the game */
            out_now++;
            m *= 0.15 + 0.65 * unif(r);
        }
        if (unif(r) < 0.05) m *= 0.7; /* foul trouble */
        tgt[k] = m < 1.5 ? 1.5 : m;
    }
    fill_minutes(tgt, ROSTER, 240, 44, M);
}

/* The five with most minutes: they play the overtime. */
static void top_five(const side_box *b, double *m)
{
    int used[ROSTER] = {0};
    for (int k = 0; k < ROSTER; k++) m[k] = 0;
    for (int i = 0; i < 5; i++) {
        int best = -1;
        for (int k = 0; k < ROSTER; k++)
            if (!used[k] && b->p[k].min10 > 0 && (best < 0 || b->p[k].min10 > b->p[best].min10))
                best = k;
        if (best < 0) return;
        used[best] = 1;
        m[best] = 5;
    }
}

static void play_box(sim *S, side_box sb[2], rng *r)
{
    /* a shooting environment shared by both sides (pace and shooting move
     * both teams' points together), and each side's own night */
    double env = 0.009 * gauss(r), shift[2];
    shift[0] = env + 0.005 * gauss(r);
    shift[1] = env + 0.005 * gauss(r);
    double pace = 0.5 * (S->teams[sb[0].team].pace + S->teams[sb[1].team].pace) + 4.5 * gauss(r);
    double M[2][ROSTER], m4[2][ROSTER];
    int rank[2][ROSTER], cd[2][ROSTER];
    for (int s = 0; s < 2; s++) plan_minutes(S, &sb[s], M[s], rank[s], cd[s], r);
    /* regulation in 12 stretches, alternating sides; the side ahead relaxes
     * a little (RUBBER per point of lead), and from the fourth quarter on a
     * lead of 20 or more means garbage time */
    int garbage = 0, n0 = (int)floor(pace + 0.5), n1 = n0 + rng_int(r, 3) - 1;
    for (int c = 0; c < 12; c++) {
        if (c == 9) {
            garbage = abs(sb[0].pts - sb[1].pts) >= 20;
            for (int s = 0; s < 2; s++) {
                double t4[ROSTER];
                for (int k = 0; k < ROSTER; k++) {
                    t4[k] = 0.25 * M[s][k];
                    if (garbage) {
                        int rk = rank[s][k];
                        t4[k] *= rk < 5 ? 0.3 : rk >= 8 ? 2.5 : 1.0;
                        if (cd[s][k]) {
                            t4[k] = 2.5;
                            sb[s].p[k].plays = 1;
                        }
                    }
                }
                fill_minutes(t4, ROSTER, 60, 12, m4[s]);
            }
        }
        int lead = sb[0].pts - sb[1].pts;
        for (int s = 0; s < 2; s++) {
            double m[ROSTER];
            for (int k = 0; k < ROSTER; k++) m[k] = c < 9 ? 0.75 * M[s][k] : m4[s][k];
            int n = s ? n1 : n0;
            play_possessions(S, &sb[s], m, n * (c + 1) / 12 - n * c / 12,
                             shift[s] - RUBBER * (s ? -lead : lead), r);
        }
        side_totals(&sb[0]);
        side_totals(&sb[1]);
    }
    for (int s = 0; s < 2; s++) {
        double tot[ROSTER];
        int m10[ROSTER];
        for (int k = 0; k < ROSTER; k++) tot[k] = 0.75 * M[s][k] + m4[s][k];
        round_tenths(tot, ROSTER, 2400, m10);
        for (int k = 0; k < ROSTER; k++) sb[s].p[k].min10 = m10[k];
        sb[s].min = 240;
    }
    /* overtime: 5 minutes each for the five with most minutes */
    for (int ot = 0; sb[0].pts == sb[1].pts; ot++) {
        if (ot == 8) { /* practically never: a made free throw settles it */
            int k = 0;
            for (int j = 1; j < ROSTER; j++)
                if (sb[0].p[j].min10 > sb[0].p[k].min10) k = j;
            sb[0].p[k].fta++;
            sb[0].p[k].ftm++;
            side_totals(&sb[0]);
            break;
        }
        int pot = (int)floor(pace * 5.0 / 48.0 + 0.5);
        for (int s = 0; s < 2; s++) {
            double m[ROSTER];
            top_five(&sb[s], m);
            for (int k = 0; k < ROSTER; k++) sb[s].p[k].min10 += m[k] > 0 ? 50 : 0;
            sb[s].min += 25;
            play_possessions(S, &sb[s], m, pot + (s ? rng_int(r, 3) - 1 : 0), shift[s], r);
            side_totals(&sb[s]);
        }
    }
    /* the rest of the box score, from the team totals */
    for (int s = 0; s < 2; s++) {
        side_box *b = &sb[s], *o = &sb[1 - s];
        const team *t = &S->teams[b->team];
        double wr[ROSTER], wa[ROSTER], wf[ROSTER], wsl[ROSTER], wb[ROSTER];
        int otov = 0;
        for (int k = 0; k < ROSTER; k++) {
            const player *p = &S->pl[t->roster[k]];
            double m = b->p[k].min10;
            wr[k] = p->reb_w * m;
            wa[k] = p->ast_w * m;
            wf[k] = p->pf_w * m;
            wsl[k] = p->stl_w * m;
            wb[k] = p->blk_w * m;
            otov += o->p[k].tov;
        }
        spread(r, wa, binom(r, b->fgm, 0.60), PB_FIELD(b, ast), 0);
        spread(r, wf, poisson(r, 19.0), PB_FIELD(b, pf), 6);
        spread(r, wr, binom(r, o->drb_chances, 0.93), PB_FIELD(b, dreb), 0);
        spread(r, wsl, binom(r, otov, 0.55), PB_FIELD(b, stl), 0);
        spread(r, wb, binom(r, o->fga - o->fgm, 0.11), PB_FIELD(b, blk), 0);
    }
    for (int s = 0; s < 2; s++) {
        side_box *b = &sb[s];
        b->oreb = b->dreb = b->tov = b->ast = b->stl = b->blk = b->pf = 0;
        for (int k = 0; k < ROSTER; k++) {
            const pbox *p = &b->p[k];
            b->oreb += p->oreb;
            b->dreb += p->dreb;
            b->tov += p->tov;
            b->ast += p->ast;
            b->stl += p->stl;
            b->blk += p->blk;
            b->pf += p->pf;
        }
    }
}

static int spell_length(rng *r)
{
    double u = unif(r);
    return u < 0.5 ? 1 + rng_int(r, 3) : u < 0.85 ? 4 + rng_int(r, 7) : 11 + rng_int(r, 20);
}

static long american(double q)
{
    q = clampd(q, 0.02, 0.98);
    return q >= 0.5 ? -lround(100 * q / (1 - q)) : lround(100 * (1 - q) / q);
}

/* Book lines for one player-game: writes 2 snapshots for each chosen book. */
static void write_props(sim *S, const player *p, const pbox *b, const int *books, int nb,
                        const char *date, const char *gid, const game *g, const char *tip,
                        const char *open_t, const char *close_t, rng *r)
{
    out_file *o = &S->out[F_PROP];
    double model = p->n_played >= 5
                       ? 0.55 * p->ewma_pts / (p->ewma_min > 5 ? p->ewma_min : 5) * b->exp_min +
                             0.45 * b->mu
                       : b->mu * (1 + 0.1 * gauss(r));
    double common = 0.9 * gauss(r), move = 0.35 * gauss(r);
    for (int i = 0; i < nb; i++) {
        int bk = books[i];
        double raw[2];
        raw[0] = model + LINE_BIAS + book_bias[bk] + common + 0.35 * gauss(r);
        raw[1] = raw[0] + 0.4 * (b->mu + LINE_BIAS + book_bias[bk] - raw[0]) + move +
                 0.12 * gauss(r);
        for (int s = 0; s < 2; s++) {
            long l2 = 2 * (long)floor(raw[s]) + 1;
            l2 = l2 < 1 ? 1 : l2 > 159 ? 159 : l2;
            double pov = clampd(0.5 + 0.05 * (raw[s] - l2 / 2.0), 0.38, 0.62);
            double half = clampd(book_vig[bk] / 2 + 0.004 * gauss(r), 0.012, 0.04);
            of_s(o, date);
            of_sep(o);
            of_sc(o, p->name);
            of_ic(o, p->id);
            of_sc(o, book_names[bk]);
            of_fixed(o, l2, 2);
            of_sep(o);
            of_ic(o, american(pov + half));
            of_ic(o, american(1 - pov + half));
            of_sc(o, s == 0 ? open_t : close_t);
            of_sc(o, gid);
            of_sc(o, team_info[g->home].code);
            of_sc(o, team_info[g->away].code);
            of_sc(o, team_info[p->team].code);
            of_s(o, tip);
            of_end(o);
        }
    }
}

typedef struct {
    int side, k, id;
} slot;

static int cmp_slot(const void *a, const void *b)
{
    return ((const slot *)a)->id - ((const slot *)b)->id;
}

static void write_player_row(sim *S, const side_box *sb, int k, const char *date,
                             const char *gid, const char *wl)
{
    out_file *o = &S->out[F_PLAYER];
    const player *p = &S->pl[S->teams[sb->team].roster[k]];
    const pbox *b = &sb->p[k];
    const char *tc = team_info[sb->team].code, *oc = team_info[sb->opp].code;
    of_sc(o, S->season_str);
    of_sc(o, "Regular Season");
    of_sc(o, gid);
    of_sc(o, date);
    of_ic(o, p->id);
    of_sc(o, p->name);
    of_ic(o, team_info[sb->team].id);
    of_sc(o, tc);
    of_sc(o, oc);
    of_ic(o, sb->home);
    of_s(o, tc);
    of_s(o, sb->home ? " vs. " : " @ ");
    of_sc(o, oc);
    of_sc(o, wl);
    of_ic(o, b->starter);
    of_fixed(o, b->min10, 10);
    of_sep(o);
    const int v[] = {b->fgm,  b->fga,  b->fg3m, b->fg3a,          b->ftm, b->fta, b->oreb,
                     b->dreb, b->oreb + b->dreb, b->ast, b->stl, b->blk, b->tov,  b->pf};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) of_ic(o, v[i]);
    of_i(o, 2 * b->fgm + b->fg3m + b->ftm);
    of_end(o);
    if (b->fga > 0) {
        o = &S->out[F_ZONE];
        of_sc(o, S->season_str);
        of_sc(o, "Regular Season");
        of_sc(o, gid);
        of_sc(o, date);
        of_ic(o, team_info[sb->team].id);
        of_sc(o, tc);
        of_ic(o, p->id);
        of_sc(o, p->name);
        of_ic(o, b->fga);
        of_ic(o, b->fgm);
        of_ic(o, b->fg3a);
        of_ic(o, b->fg3m);
        long dist = 0;
        for (int z = 0; z < NZ; z++) {
            of_ic(o, b->zfga[z]);
            of_ic(o, b->zfgm[z]);
            dist += (long)zone_dist10[z] * b->zfga[z];
        }
        of_fixed(o, (dist + b->fga / 2) / b->fga, 10);
        of_end(o);
    }
}

static void write_team_row(sim *S, const side_box *b, const side_box *o_, const char *date,
                           const char *gid)
{
    out_file *o = &S->out[F_TEAM];
    of_sc(o, S->season_str);
    of_sc(o, "Regular Season");
    of_sc(o, gid);
    of_sc(o, date);
    of_ic(o, team_info[b->team].id);
    of_sc(o, team_info[b->team].code);
    of_sc(o, team_info[b->opp].code);
    of_ic(o, b->home);
    of_ic(o, b->pts);
    of_ic(o, o_->pts);
    of_ic(o, (100L * (b->fga + b->tov - b->oreb) + 44L * b->fta + 50) / 100);
    const int v[] = {b->fga, b->fgm, b->fg3a, b->fg3m, b->fta, b->ftm, b->oreb, b->dreb, b->tov};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) of_ic(o, v[i]);
    of_ic(o, team_info[b->opp].id);
    of_sc(o, b->pts > o_->pts ? "W" : "L");
    of_ic(o, b->min);
    of_ic(o, b->oreb + b->dreb);
    of_ic(o, b->ast);
    of_ic(o, b->stl);
    of_ic(o, b->blk);
    of_ic(o, b->pf);
    of_i(o, b->pts - o_->pts);
    of_end(o);
}

/* One scheduled game: availability, odds, props, and (when played) the box
 * score and the players' new state. */
static void run_game(sim *S, int gi, int future)
{
    const game *g = &S->games[gi];
    rng gr, br;
    rng_init(&gr, S->p.seed, TAG_GAME, (uint64_t)S->season_idx, (uint64_t)gi);
    rng_init(&br, S->p.seed, TAG_BOOK, (uint64_t)S->season_idx, (uint64_t)gi);
    char date[11], gid[11], tip[21], open_t[21], close_t[21];
    fmt_date(g->day, date);
    game_id(S, gi, gid);
    fmt_time(g->day, g->tip, tip);
    fmt_time(g->day, 900 + 5 * rng_int(&br, 25), open_t);
    fmt_time(g->day, g->tip - 15 - 5 * rng_int(&br, 12), close_t);

    side_box sb[2];
    memset(sb, 0, sizeof sb);
    for (int s = 0; s < 2; s++) {
        side_box *b = &sb[s];
        b->team = s == 0 ? g->home : g->away;
        b->opp = s == 0 ? g->away : g->home;
        b->home = s == 0;
        team *t = &S->teams[b->team];
        b->b2b = t->last_day == g->day - 1;
        t->last_day = g->day;
        for (int k = 0; k < ROSTER; k++)
            b->p[k].status = availability(&S->pl[t->roster[k]], b->b2b, &gr, &b->p[k].plays);
    }
    expect_side(S, &sb[0]);
    expect_side(S, &sb[1]);

    slot sl[2 * ROSTER];
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < ROSTER; k++) {
            slot *x = &sl[s * ROSTER + k];
            x->side = s;
            x->k = k;
            x->id = S->pl[S->teams[sb[s].team].roster[k]].id;
        }
    qsort(sl, 2 * ROSTER, sizeof(slot), cmp_slot);

    /* books: 4-8 of the 8, in list order */
    int books[NBOOKS], nb = 4 + rng_int(&br, 5), perm[NBOOKS];
    for (int i = 0; i < NBOOKS; i++) perm[i] = i;
    for (int i = 0; i < nb; i++) {
        int j = i + rng_int(&br, NBOOKS - i), x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    int chosen[NBOOKS] = {0};
    for (int i = 0; i < nb; i++) chosen[perm[i]] = 1;
    for (int i = 0, n = 0; i < NBOOKS; i++)
        if (chosen[i]) books[n++] = i;
    for (int i = 0; i < 2 * ROSTER; i++) {
        const pbox *b = &sb[sl[i].side].p[sl[i].k];
        if (b->exp_min < 15 || b->status == ST_OUT || b->status == ST_DOUBTFUL) continue;
        const player *p = &S->pl[S->teams[sb[sl[i].side].team].roster[sl[i].k]];
        write_props(S, p, b, books, nb, date, gid, g, tip, open_t, close_t, &br);
    }
    for (int i = 0; i < 2 * ROSTER; i++) {
        const pbox *b = &sb[sl[i].side].p[sl[i].k];
        if (b->status == ST_NONE) continue;
        const player *p = &S->pl[S->teams[sb[sl[i].side].team].roster[sl[i].k]];
        out_file *o = &S->out[F_INJ];
        of_sc(o, date);
        of_ic(o, p->id);
        of_sc(o, p->name);
        of_sc(o, team_info[p->team].code);
        of_sc(o, gid);
        of_s(o, status_names[b->status]);
        of_end(o);
    }

    /* game odds from the expected points */
    double eh = sb[0].exp_pts, ea = sb[1].exp_pts;
    long total2 = lround(2 * (eh + ea + 2.0 * gauss(&br)));
    long spread2 = lround(2 * (ea - eh + 1.0 * gauss(&br)));
    double ph = clampd(0.5 * erfc(-(eh - ea) / (12.0 * sqrt(2.0))), 0.03, 0.97);

    if (future) {
        out_file *o = &S->out[F_SCHED];
        of_sc(o, S->season_str);
        of_sc(o, date);
        of_sc(o, gid);
        of_sc(o, team_info[g->home].code);
        of_sc(o, team_info[g->away].code);
        of_s(o, tip);
        of_end(o);
        if (g->day < S->first_future) S->first_future = g->day;
    } else {
        play_box(S, sb, &gr);
        const char *wl[2] = {sb[0].pts > sb[1].pts ? "W" : "L", sb[1].pts > sb[0].pts ? "W" : "L"};
        for (int i = 0; i < 2 * ROSTER; i++)
            write_player_row(S, &sb[sl[i].side], sl[i].k, date, gid, wl[sl[i].side]);
        int first = sb[0].team < sb[1].team ? 0 : 1;
        write_team_row(S, &sb[first], &sb[1 - first], date, gid);
        write_team_row(S, &sb[1 - first], &sb[first], date, gid);
        if (g->day > S->last_played) S->last_played = g->day;
        /* the players' state after the game */
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < ROSTER; k++) {
                player *p = &S->pl[S->teams[sb[s].team].roster[k]];
                const pbox *b = &sb[s].p[k];
                p->form = FORM_RHO * p->form + FORM_SD * gauss(&gr);
                if (b->min10 > 0) {
                    double pts = 2 * b->fgm + b->fg3m + b->ftm, m = b->min10 / 10.0;
                    if (p->n_played == 0) {
                        p->ewma_pts = pts;
                        p->ewma_min = m;
                    } else {
                        p->ewma_pts += 0.12 * (pts - p->ewma_pts);
                        p->ewma_min += 0.12 * (m - p->ewma_min);
                    }
                    p->n_played++;
                }
                if (b->inj) p->out_left = spell_length(&gr);
            }
    }
    out_file *o = &S->out[F_ODDS];
    of_sc(o, S->season_str);
    of_sc(o, date);
    of_sc(o, team_info[g->home].code);
    of_sc(o, team_info[g->away].code);
    of_fixed(o, total2, 2);
    of_sep(o);
    of_fixed(o, spread2, 2);
    of_sep(o);
    of_ic(o, american(ph + 0.0225));
    of_ic(o, american(1 - ph + 0.0225));
    if (future) {
        of_s(o, ",,");
    } else {
        of_ic(o, sb[0].pts);
        of_ic(o, sb[1].pts);
    }
    of_s(o, gid);
    of_end(o);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int play_season(sim *S, sw_error *err)
{
    rng r;
    rng_init(&r, S->p.seed, TAG_SEASON, (uint64_t)S->season_idx, 0);
    if (S->season_idx > 0) offseason(S, &r);
    assign_roles(S);
    put_digits(S->season_str, S->year, 4);
    S->season_str[4] = '-';
    put_digits(S->season_str + 5, (S->year + 1) % 100, 2);
    S->season_str[7] = 0;
    season_dates sd = dates_of(S->year);
    build_schedule(S, &r, &sd);
    long deadline = sd.asb_lo + 2 - 10, first_trade = sd.start + 50;
    S->ntrades = 3 + rng_int(&r, MAX_TRADES - 2);
    for (int i = 0; i < S->ntrades; i++)
        S->trade_day[i] = first_trade + rng_int(&r, (int)(deadline - first_trade + 1));
    qsort(S->trade_day, (size_t)S->ntrades, sizeof(long), cmp_long);
    for (int t = 0; t < NT; t++) S->teams[t].last_day = LONG_MIN / 2;

    long cut = LONG_MAX / 2, horizon = LONG_MAX / 2;
    if (S->season_idx == S->p.seasons - 1 && S->p.future_days > 0) {
        long last = S->games[S->ngames - 1].day;
        cut = LONG_MIN / 2;
        for (int i = 0; i < S->ngames; i++)
            if (S->games[i].day <= last - S->p.future_days && S->games[i].day > cut)
                cut = S->games[i].day;
        horizon = cut + S->p.future_days;
    }
    int next_trade = 0;
    for (int gi = 0; gi < S->ngames; gi++) {
        const game *g = &S->games[gi];
        if (g->day > horizon) break;
        while (next_trade < S->ntrades && S->trade_day[next_trade] < g->day) {
            trade(S, &r);
            next_trade++;
        }
        run_game(S, gi, g->day > cut);
        if ((gi & 63) == 0)
            for (int f = 0; f < F_COUNT; f++) SW_TRY(of_check(&S->out[f], err));
    }
    return SW_OK;
}

sw_sim_params sw_sim_params_default(void)
{
    sw_sim_params p;
    memset(&p, 0, sizeof p);
    p.seed = 42;
    p.seasons = 1;
    p.first_season = 2023;
    p.future_days = 7;
    return p;
}

static void sim_free(sim *S)
{
    for (int f = 0; f < F_COUNT; f++) of_discard(&S->out[f]);
    sw_free(S->pl);
    sw_free(S->name_used);
    sw_free(S->games);
    sw_free(S->pairs);
    sw_free(S->cand);
    sw_free(S->done);
    sw_free(S->pending);
    sw_free(S->trade_day);
}

int sw_simulate(const sw_sim_params *p, const char *out_dir, sw_sim_summary *summary, sw_error *err)
{
    if (summary) memset(summary, 0, sizeof *summary);
    if (!p || !out_dir || !*out_dir)
        return sw_fail(err, SW_ARG, "simulate: no parameters or folder");
    if (p->seasons < 1 || p->seasons > MAX_SEASONS)
        return sw_fail(err, SW_ARG, "simulate: seasons must be 1..%d (got %d)", MAX_SEASONS,
                       p->seasons);
    if (p->first_season < 1947 || p->first_season > 2090)
        return sw_fail(err, SW_ARG, "simulate: first_season must be 1947..2090 (got %d)",
                       p->first_season);
    if (p->future_days < 0 || p->future_days > 60)
        return sw_fail(err, SW_ARG, "simulate: future_days must be 0..60 (got %d)", p->future_days);
    SW_TRY(sw_mkdirs(out_dir, err));

    sim *S = sw_calloc(1, sizeof *S);
    if (!S) return sw_fail(err, SW_NOMEM, "out of memory");
    for (int f = 0; f < F_COUNT; f++) S->out[f].fd = -1;
    S->p = *p;
    S->cappl = NT * ROSTER + (p->seasons - 1) * MAX_ROOKIES;
    S->pl = sw_alloc_array((size_t)S->cappl, sizeof(player));
    S->name_used = sw_calloc((size_t)N_FIRST * N_LAST, 1);
    S->games = sw_alloc_array(GAMES_PER_SEASON, sizeof(game));
    S->pairs = sw_alloc_array(GAMES_PER_SEASON, sizeof *S->pairs);
    S->cand = sw_alloc_array(GAMES_PER_SEASON, sizeof(cand));
    S->done = sw_alloc_array(GAMES_PER_SEASON, 1);
    S->pending = sw_alloc_array(GAMES_PER_SEASON, sizeof(int));
    S->trade_day = sw_alloc_array(MAX_TRADES, sizeof(long));
    int rc = SW_OK;
    if (!S->pl || !S->name_used || !S->games || !S->pairs || !S->cand || !S->done ||
        !S->pending || !S->trade_day) {
        rc = sw_fail(err, SW_NOMEM, "out of memory");
        goto done;
    }
    for (int f = 0; f < F_COUNT && rc == SW_OK; f++) rc = of_open(&S->out[f], out_dir, f, err);
    if (rc != SW_OK) goto done;

    S->last_played = LONG_MIN;
    S->first_future = LONG_MAX;
    make_league(S);
    for (int s = 0; s < p->seasons && rc == SW_OK; s++) {
        S->season_idx = s;
        S->year = p->first_season + s;
        rc = play_season(S, err);
    }
    for (int f = 0; f < F_COUNT && rc == SW_OK; f++) rc = of_finish(&S->out[f], err);
    for (int f = 0; f < F_COUNT && rc == SW_OK; f++) {
        out_file *o = &S->out[f];
        if (rename(o->tmp, o->path) != 0) {
            rc = sw_error_set(err, SW_IO, o->path, 0, 0, -1, "rename failed: %s", strerror(errno));
            break;
        }
        o->tmp[0] = 0;
    }
    if (rc == SW_OK) {
        int dfd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    if (rc == SW_OK && summary) {
        summary->player_rows = S->out[F_PLAYER].rows;
        summary->team_rows = S->out[F_TEAM].rows;
        summary->zone_rows = S->out[F_ZONE].rows;
        summary->prop_rows = S->out[F_PROP].rows;
        summary->schedule_rows = S->out[F_SCHED].rows;
        summary->injury_rows = S->out[F_INJ].rows;
        summary->players = S->npl;
        summary->teams = NT;
        if (S->last_played != LONG_MIN) fmt_date(S->last_played, summary->last_played);
        if (S->first_future != LONG_MAX) fmt_date(S->first_future, summary->first_future);
    }
done:
    sim_free(S);
    sw_free(S);
    return rc;
}
