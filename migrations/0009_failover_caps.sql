CREATE TABLE "channel_daily_usage" (
	"channel_id" uuid NOT NULL,
	"day" text NOT NULL,
	"messages" integer DEFAULT 0 NOT NULL,
	"new_chats" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "channel_daily_usage_channel_id_day_pk" PRIMARY KEY("channel_id","day")
);
--> statement-breakpoint
CREATE TABLE "channel_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"text" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"dedup_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "fallback_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "daily_message_cap" integer;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "daily_new_chat_cap" integer;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "cap_overflow" text DEFAULT 'wait' NOT NULL;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "send_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "failing_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "last_send_failure_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "failover_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "last_inbound_via" uuid;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "first_sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "via_channel_id" uuid;--> statement-breakpoint
ALTER TABLE "channel_daily_usage" ADD CONSTRAINT "channel_daily_usage_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_events" ADD CONSTRAINT "channel_events_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "channel_events_dedup_uq" ON "channel_events" USING btree ("dedup_key");--> statement-breakpoint
CREATE INDEX "channel_events_channel_idx" ON "channel_events" USING btree ("channel_id","created_at");--> statement-breakpoint
CREATE INDEX "channels_fallback_ids_idx" ON "channels" USING gin ("fallback_ids");--> statement-breakpoint
CREATE INDEX "messages_via_provider_idx" ON "messages" USING btree ("via_channel_id","provider_message_id") WHERE via_channel_id is not null;