// A producer and a consumer of Confluent.Kafka pointed at a loopback port where nothing listens. librdkafka still starts
// its native threads (rdk:main, rdk:broker..., each retrying the connection) and Confluent.Kafka its managed poll thread.
// The process writes down, from the inside, which thread is which: the truth Accuracy/KafkaTests.cs scores the report on.
//
// Usage: KafkaApp --truth <file> [--seconds N]
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Confluent.Kafka;

namespace KafkaApp;

internal static partial class Program
{
    private static readonly ConcurrentDictionary<int, string> s_logThreads = new();
    private static readonly ConcurrentDictionary<int, string> s_pollThreads = new();

    public static int Main(string[] args)
    {
        var truthPath = Arg(args, "--truth") ?? throw new ArgumentException("--truth <file> is required");
        var seconds = int.Parse(Arg(args, "--seconds") ?? "3", System.Globalization.CultureInfo.InvariantCulture);
        var broker = $"127.0.0.1:{ClosedPort()}";

        // Logs come from librdkafka's own threads (log.queue is off); errors and delivery reports from the producer's
        // poll thread, which Confluent.Kafka starts as a LongRunning task when the producer is built.
        var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = broker,
            MessageTimeoutMs = 1500,
            ReconnectBackoffMs = 100,
            ReconnectBackoffMaxMs = 200,
            Debug = "broker",
        })
            .SetLogHandler((_, _) => s_logThreads.TryAdd(gettid(), CurrentName()))
            .SetErrorHandler((_, _) => s_pollThreads.TryAdd(gettid(), CurrentName()))
            .Build();
        using var consumer = new ConsumerBuilder<Ignore, string>(new ConsumerConfig
        {
            BootstrapServers = broker,
            GroupId = "trace-threads",
            ReconnectBackoffMs = 100,
            ReconnectBackoffMaxMs = 200,
        })
            .SetLogHandler((_, _) => s_logThreads.TryAdd(gettid(), CurrentName()))
            .Build();
        consumer.Subscribe("trace-threads");

        producer.Produce("trace-threads", new Message<Null, string> { Value = "hello" }, report => s_pollThreads.TryAdd(gettid(), CurrentName()));
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            consumer.Consume(TimeSpan.FromMilliseconds(200));
        }

        WriteTruth(truthPath);
        consumer.Close();
        producer.Dispose();
        return 0;
    }

    /// <summary>Every thread alive now, by /proc comm, with what it is; threads this program cannot vouch for are left out.</summary>
    private static void WriteTruth(string path)
    {
        var threads = new List<object>();
        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            var tid = int.Parse(Path.GetFileName(dir), System.Globalization.CultureInfo.InvariantCulture);
            string comm;
            try
            {
                comm = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
            }
            catch (IOException)
            {
                continue; // exited since the listing (librdkafka's short-lived connection threads)
            }

            if (tid == Environment.ProcessId)
            {
                threads.Add(new { tid, comm, category = "runtime", role = "main", note = "the process's first thread ran Main" });
            }
            else if (comm.StartsWith("rdk:", StringComparison.Ordinal))
            {
                var logged = s_logThreads.ContainsKey(tid) ? "; it called the managed log handler" : string.Empty;
                threads.Add(new { tid, comm, category = "native", role = "native", note = $"librdkafka names its own threads rdk:*{logged}" });
            }
            else if (s_pollThreads.ContainsKey(tid))
            {
                threads.Add(new
                {
                    tid,
                    comm,
                    category = "user",
                    role = "long-running-task",
                    sitePrefix = "Confluent.Kafka.",
                    calledFromPrefix = "KafkaApp.",
                    note = "ran the error or delivery handler: Confluent.Kafka's poll thread (Task.Factory.StartNew LongRunning in the producer)",
                });
            }
        }

        var truth = new
        {
            pid = Environment.ProcessId,
            logThreads = s_logThreads.Keys.Order().ToList(),
            pollThreads = s_pollThreads.Keys.Order().ToList(),
            threads,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(truth, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string CurrentName() => Thread.CurrentThread.Name ?? string.Empty;

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    [LibraryImport("libc")]
    private static partial int gettid();
}
