#ifndef POSTERN_PATHS_H
#define POSTERN_PATHS_H

/*
 * Installation directories, set by the build from configure's paths
 * (Makefile.am passes them with -D). The fallbacks are the Debian layout,
 * for code compiled outside the build system.
 */
#ifndef POSTERN_SYSCONFDIR
#define POSTERN_SYSCONFDIR "/etc/postern"
#endif
#ifndef POSTERN_LIBEXECDIR
#define POSTERN_LIBEXECDIR "/usr/libexec/postern"
#endif
#ifndef POSTERN_SBINDIR
#define POSTERN_SBINDIR "/usr/sbin"
#endif
#ifndef POSTERN_LOCALSTATEDIR
#define POSTERN_LOCALSTATEDIR "/var"
#endif

#endif
