/* cmds: the swish commands, one file each (tools/cmd_<name>.c). */
#ifndef SW_CMDS_H
#define SW_CMDS_H

int cmd_model(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_slate(int argc, char **argv);
int cmd_retrain(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_nightly(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_alert(int argc, char **argv);

#endif
