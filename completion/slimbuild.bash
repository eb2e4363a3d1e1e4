# bash completion for slimbuild (installed as
# /usr/share/bash-completion/completions/slimbuild by the .deb). Completes the
# commands, each command's flags, the values of the enumerated flags, and
# files for MANIFEST / LAYOUT / key / file arguments (YAML files first for a
# manifest). Keep the lists in step with `slimbuild COMMAND --help`.
# shellcheck shell=bash

_slimbuild() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
  fi

  local commands="build push trace verify diff inspect audit check sign verify-signature init help"
  local global="-h --help -v --verbose -q --quiet --version"
  local registry="--ca-file --insecure-registry --username --password-stdin"

  # The command is the first word that is not a global flag; a manifest
  # there means an implicit `build`.
  local cmd="" i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      -*) ;;
      *) cmd=${words[i]}; break ;;
    esac
  done
  if [[ -n $cmd && " $commands " != *" $cmd "* ]]; then cmd=build; fi

  # Flags that take a value: complete the value.
  case $prev in
    --format) mapfile -t COMPREPLY < <(compgen -W "oci oci-archive docker-archive" -- "$cur"); return ;;
    --sbom-format) mapfile -t COMPREPLY < <(compgen -W "spdx cyclonedx" -- "$cur"); return ;;
    --compression) mapfile -t COMPREPLY < <(compgen -W "gzip zstd gzip:9 zstd:19" -- "$cur"); return ;;
    --platform) mapfile -t COMPREPLY < <(compgen -W "linux/amd64 linux/arm64 linux/arm/v7" -- "$cur"); return ;;
    -o | --output | --cache-dir | --sysroot)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
    --sbom | --ca-file | --key | --sign-key | --policy | --manifest | --against)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
    --tag | --cache-ref | --username | --source-date-epoch | --threads | --chunk-size | --timeout | --dest | \
      --source-commit | --source-repo | -l | --library)
      return ;;
  esac

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$global" -- "$cur")
    else
      # A command, or a manifest (implicit build).
      mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur"; compgen -f -X '!*.y*ml' -- "$cur"; compgen -d -- "$cur")
    fi
    return
  fi

  local flags=""
  case $cmd in
    build)
      flags="-o --output --push --tag --json --format --sbom --sbom-format --require-clean --source-date-epoch
             --compression --threads --cache-dir --no-cache --cache-ref --platform --sign-key --key-passphrase-stdin $registry" ;;
    push) flags="--json --chunk-size --platform $registry" ;;
    trace) flags="--sysroot -l --library --dest --json --run --manifest --write --timeout --no-seccomp" ;;
    verify) flags="--against --source-date-epoch --json $registry" ;;
    diff) flags="--json $registry" ;;
    inspect) flags="--json --no-trace $registry" ;;
    audit) flags="--policy --json $registry" ;;
    check) flags="--network --sysroot --timeout --json $registry" ;;
    sign) flags="--key --key-passphrase-stdin $registry" ;;
    verify-signature) flags="--key --source-commit --source-repo --json $registry" ;;
    init) flags="--from-dockerfile -o --output --name --force" ;;
    help) mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur"); return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$flags -h --help" -- "$cur")
    return
  fi
  # Positional arguments: manifests for build/verify (YAML first), else any
  # file or directory (layouts, archives, binaries).
  case $cmd in
    build | verify)
      mapfile -t COMPREPLY < <(compgen -f -X '!*.y*ml' -- "$cur"; compgen -d -- "$cur") ;;
    *)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
  esac
  compopt -o filenames 2>/dev/null
}
complete -F _slimbuild slimbuild
