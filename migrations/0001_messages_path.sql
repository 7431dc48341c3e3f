CREATE TABLE "webhook_quarantine" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel_id" uuid,
	"provider" text NOT NULL,
	"content_type" text,
	"body" text NOT NULL,
	"error" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "state_detail" jsonb;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "hook_secret_enc" text;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "poll_cursor" text;--> statement-breakpoint
ALTER TABLE "channels" ADD COLUMN "poll_interval_ms" integer;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "gateway_lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "gateway_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_quarantine" ADD CONSTRAINT "webhook_quarantine_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_quarantine_channel_idx" ON "webhook_quarantine" USING btree ("channel_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_gateway_queue_idx" ON "messages" USING btree ("channel_id","created_at") WHERE direction = 'out' and status = 'queued';