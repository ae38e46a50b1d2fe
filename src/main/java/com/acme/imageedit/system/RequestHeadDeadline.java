package com.acme.imageedit.system;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * One connection's deadline for receiving a request's head (request line and headers), counted from the first byte of
 * that request. Two handlers share it: {@link #bytes()} sits before the HTTP codec and sees raw bytes arrive (and arms
 * the deadline), {@link #requests()} sits after it and sees the decoded request (and disarms it). A client sending its
 * headers a byte at a time resets Netty's idle timer with every byte; this deadline it cannot reset.
 */
final class RequestHeadDeadline {

    private static final byte[] TIMEOUT_RESPONSE;

    static {
        String body = "{\"type\":\"https://image-edit-proxy.internal/problems/request-timeout\",\"title\":\"Request Timeout\","
                + "\"status\":408,\"detail\":\"The request headers were not received in time\",\"field\":\"headers\","
                + "\"error\":{\"code\":\"request_timeout\",\"type\":\"invalid_request_error\","
                + "\"message\":\"The request headers were not received in time\",\"param\":\"headers\"}}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        TIMEOUT_RESPONSE = ("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/problem+json\r\n"
                + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
    }

    private final long timeoutNanos;
    private final Counter cutOff;
    private boolean awaitingHead = true;
    private long requestsSeen;
    private ScheduledFuture<?> timer;

    RequestHeadDeadline(Duration timeout, Counter cutOff) {
        this.timeoutNanos = timeout.toNanos();
        this.cutOff = cutOff;
    }

    /** Before the codec: the first bytes of a request start its clock. */
    ChannelInboundHandlerAdapter bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (awaitingHead && timer == null && msg instanceof ByteBuf buffer && buffer.isReadable()) {
                    timer = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                disarm();
                ctx.fireChannelInactive();
            }
        };
    }

    /** After the codec: a decoded request head stops the clock; the end of its body opens the next request's. */
    ChannelInboundHandlerAdapter requests() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    awaitingHead = false;
                    requestsSeen++;
                    disarm();
                }
                if (msg instanceof LastHttpContent) {
                    awaitingHead = true;
                }
                ctx.fireChannelRead(msg);
            }
        };
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        timer = null;
        if (!awaitingHead || !ctx.channel().isActive()) {
            return;
        }
        cutOff.increment();
        if (requestsSeen == 0) {
            // Nothing else was ever written on this connection: a plain 408 goes out raw, past the codec.
            ctx.writeAndFlush(ctx.alloc().buffer(TIMEOUT_RESPONSE.length).writeBytes(TIMEOUT_RESPONSE))
                    .addListener(f -> ctx.channel().close());
        } else {
            // A response to the previous request may still be streaming (an event stream): just close.
            ctx.channel().close();
        }
    }
}
