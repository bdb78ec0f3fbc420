// Package deploy holds the files that install Manhattan as a service: systemd units for
// `manhattan run` and `manhattan ship` and their environment file (deploy/systemd). It has
// no code; its tests check the units with systemd-analyze and that every setting of the
// environment file is one that the program reads. docs/deploy.md explains their use.
package deploy
