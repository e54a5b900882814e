/*
 * menu.h - the ncurses menu front (menu.c).
 */
#ifndef BOOTFIX_MENU_H
#define BOOTFIX_MENU_H

#define MENU_USAGE "bootfix menu [--device FILE|DEV] [--data DIR] [--operator NAME] [--site NAME]"

/* Exit codes the stick's init acts on after the menu ends. */
#define MENU_EXIT_POWEROFF 10
#define MENU_EXIT_REBOOT 11
#define MENU_EXIT_SHELL 12

/*
 * Run the menu on the terminal until the user quits; returns the exit code
 * (0, or one of MENU_EXIT_* chosen on the power screen, 2 usage, 3 could
 * not run).  Needs a terminal and root.
 */
int menu_main(int argc, char **argv);

#endif
